"""AppTest: browsing personas, and uploading or editing persona YAML with problems shown inline."""

import yaml
from typer.testing import CliRunner

from simulator.cli import app as cli
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


def upload_bytes(at, name: str, data: bytes):
    """Upload raw bytes on the Upload tab and press its save button."""
    at.file_uploader[0].upload(name, data, "application/x-yaml").run()
    [b for b in at.button if b.key == "save-upload"][0].click().run()
    return at


def shown_problems(at) -> list[str]:
    """The problems table as 'field: reason' lines."""
    problems = at.dataframe[0].value
    return [f"{field}: {reason}" for field, reason in zip(problems["field"], problems["reason"], strict=True)]


def test_an_upload_that_is_not_utf8_is_refused_as_personas_check_refuses_it(app_env, tmp_path):
    data = yaml.safe_dump(persona_data(id="cafe-owner", title="Café owner"), allow_unicode=True).encode()
    data = data.replace("é".encode(), b"\xe9")
    at = upload_bytes(page(PERSONAS), "cafe-owner.yaml", data)
    assert not at.exception and "nothing was saved" in at.error[0].value
    on_disk = tmp_path / "upload" / "cafe-owner.yaml"
    on_disk.parent.mkdir()
    on_disk.write_bytes(data)
    check = CliRunner().invoke(cli, ["personas", "check", str(on_disk)])
    from_cli = check.stderr.splitlines()[0].removeprefix(f"✗ {on_disk}:")
    line, _, rest = from_cli.partition(": ")
    assert rest.startswith("not UTF-8 text: byte 0xe9")
    assert shown_problems(at) == [rest] and at.dataframe[0].value["line"][0] == int(line)
    assert not list((app_env / "personas").glob("cafe*"))


def test_an_upload_nested_too_deep_is_shown_inline(app_env):
    text = yaml.safe_dump(persona_data(id="deep-one"), sort_keys=False) + "extra: " + "[" * 500 + "]" * 500
    at = upload_bytes(page(PERSONAS), "deep.yaml", text.encode())
    assert not at.exception
    assert shown_problems(at) == ["too deep: nested deeper than 20 levels"]


def test_an_upload_over_the_size_limit_is_shown_inline(app_env):
    text = yaml.safe_dump(persona_data(id="huge-one")).replace("Works long shifts", "x" * 300_000)
    at = upload_bytes(page(PERSONAS), "huge.yaml", text.encode())
    assert not at.exception
    assert shown_problems(at) == [
        f"(file): {len(text):,} bytes is over the limit of 256 KB for a persona; shorten it"
    ]
    assert not list((app_env / "personas").glob("huge*"))


def test_an_id_too_long_for_a_file_name_is_refused_before_saving(app_env):
    long_id = "-".join(["night"] * 50)
    at = page(PERSONAS)
    at.selectbox[0].set_value(at.selectbox[0].options[-1]).run()  # a new persona
    at.text_area[0].set_value(yaml.safe_dump(persona_data(id=long_id))).run()
    [b for b in at.button if b.key == "save-edited"][0].click().run()
    assert not at.exception
    assert shown_problems(at) == ["id: String should have at most 64 characters"]
    assert [path.name for path in (app_env / "personas").iterdir()] == ["test-person.yaml"]
