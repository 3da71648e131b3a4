"""Settings from the environment / .env: which speaker, grader, model server, database."""

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SpeakerName = Literal["scripted", "llama", "openai"]
GraderName = Literal["offline", "llm"]
AuthMode = Literal["none", "local", "oidc"]
DEFAULT_API_KEY = "not-needed"  # local servers ignore the key; the OpenAI client insists on one


def default_db_url() -> str:
    """SQLite file under the user's data directory."""
    folder = Path(user_data_dir("listenlab", appauthor=False))
    return f"sqlite:///{folder / 'listenlab.db'}"


class Settings(BaseSettings):
    """All run-time settings; every field can be set as an environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    speaker: SpeakerName = Field("scripted", validation_alias="LISTENLAB_SPEAKER")
    grader: GraderName = Field("offline", validation_alias="LISTENLAB_GRADER")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: str = Field(DEFAULT_API_KEY, validation_alias="OPENAI_API_KEY")
    model: str = Field("gpt-4o-mini", validation_alias="LISTENLAB_MODEL")
    gguf_path: Path | None = Field(None, validation_alias="LISTENLAB_GGUF")
    timeout_s: float = Field(30.0, gt=0, validation_alias="LISTENLAB_TIMEOUT")
    max_retries: int = Field(2, ge=0, validation_alias="LISTENLAB_MAX_RETRIES")
    db_url: str = Field(default_factory=default_db_url, validation_alias="LISTENLAB_DB_URL")
    seed: int = Field(0, validation_alias="LISTENLAB_SEED")
    auth: AuthMode = Field("none", validation_alias="LISTENLAB_AUTH")
    oidc_provider: str | None = Field(None, validation_alias="LISTENLAB_OIDC_PROVIDER")
    base_url: str | None = Field(None, validation_alias="LISTENLAB_BASE_URL")

    @field_validator("openai_base_url", "gguf_path", "oidc_provider", "base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return None if value == "" else value

    @field_validator("openai_api_key", mode="before")
    @classmethod
    def _empty_key_is_default(cls, value):
        return DEFAULT_API_KEY if value in ("", None) else value
