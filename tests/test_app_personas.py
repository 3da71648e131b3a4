"""AppTest: browsing personas, and uploading or editing persona YAML with problems shown inline."""

import yaml

from tests.fixtures_app import PERSONAS, new_app, page
from tests.persona_factory import persona_data


def save_upload(at, name: str, text: str):
    """Upload a file on the Upload tab and press its save button."""
    at.file_uploader[0].upload(name, text.encode(), "application/x-yaml").run()
    [b for b in at.button if b.key == "save-upload"][0].click().run()
    return at


def test_every_persona_can_be_browsed(app_env):
    at = page(PERSONAS)
    titles = [e.label.split(" · ")[0] for e in at.expander]
    assert "Test person" in titles and "Stressed partner" in titles
    links = [link.proto.query_string for link in at.get("page_link")]
    assert "persona=test-person" in links


def test_a_bad_persona_upload_shows_file_field_and_reason(app_env):
    data = persona_data(id="Bad Id", difficulty=7)
    data["dynamics"]["start_openness"] = 0.01
    at = save_upload(page(PERSONAS), "bad.yaml", yaml.safe_dump(data, sort_keys=False))
    assert not at.exception
    assert "problem(s) in bad.yaml: nothing was saved" in at.error[0].value
    problems = at.dataframe[0].value
    assert set(problems["file"]) == {"bad.yaml"}
    fields = dict(zip(problems["field"], problems["reason"], strict=True))
    assert "pattern" in fields["id"]
    assert "less than or equal to 3" in fields["difficulty"]
    assert "shutdown_below < start_openness" in fields["dynamics"]
    assert all(isinstance(line, int) and line > 0 for line in problems["line"])
    assert not list((app_env / "personas").glob("bad*"))


def test_yaml_that_does_not_parse_is_reported_with_its_line(app_env):
    at = save_upload(page(PERSONAS), "broken.yaml", "id: x\ntitle: [unclosed\n")
    problems = at.dataframe[0].value
    assert problems["file"][0] == "broken.yaml" and problems["line"][0] >= 2
    assert "not valid YAML" in problems["field"][0]


def test_a_good_upload_is_saved_and_usable_at_once(app_env):
    data = persona_data(id="night-nurse", title="Night nurse")
    at = save_upload(page(PERSONAS), "anything.yml", yaml.safe_dump(data, sort_keys=False))
    assert "Saved “Night nurse” (night-nurse)" in at.success[0].value
    assert (app_env / "personas" / "night-nurse.yaml").is_file()
    practice = new_app()
    practice.query_params["persona"] = "night-nurse"
    assert practice.run().title[0].value == "Night nurse"


def test_editing_a_persona_saves_the_users_copy(app_env):
    at = page(PERSONAS)
    at.selectbox[0].set_value("test-person").run()
    text = at.text_area[0].value.replace("title: Test person", "title: Test person (edited)")
    at.text_area[0].set_value(text).run()
    [b for b in at.button if b.key == "save-edited"][0].click().run()
    assert "Saved “Test person (edited)”" in at.success[0].value
    assert "title: Test person (edited)" in (app_env / "personas" / "test-person.yaml").read_text()


def test_a_broken_user_file_is_reported_and_the_rest_still_load(app_env):
    (app_env / "personas" / "half.yaml").write_text("id: half\n", encoding="utf-8")
    at = page(PERSONAS)
    assert "could not be used" in at.warning[0].value
    assert "half.yaml" in at.dataframe[0].value["file"][0]
    assert "Test person" in [e.label.split(" · ")[0] for e in at.expander]
