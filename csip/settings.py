"""Configuration from the environment: `CSIP_*` variables plus Slack's own names."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_TEAM = "default"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CSIP_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///csip.db"
    # Slack user ids allowed to reschedule and reassign any action: "U01ABC,U02DEF".
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    # The workspace whose plan a request from an unknown team id, or the CLI, works on.
    team_id: str = DEFAULT_TEAM

    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "CSIP_SLACK_BOT_TOKEN")
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "CSIP_SLACK_SIGNING_SECRET"),
    )
    slack_app_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "CSIP_SLACK_APP_TOKEN")
    )
    # GovSlack and tests use another host; slack_sdk wants the trailing "/api/".
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "CSIP_SLACK_API_URL"),
    )

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _end_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"
