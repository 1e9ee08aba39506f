"""Configuration from the environment: `CSIP_*` variables plus Slack's own names."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.config import DEFAULT_TEAM, Access, BotConfig, SlackConnection
from plan.errors import SetupError
from storage import DEFAULT_DATABASE_URL

if TYPE_CHECKING:
    from schedules.config import Schedule


class Settings(BaseSettings):
    """Read once by the `csip` command; the packages below it get the small objects the methods
    at the end make, never this class."""

    model_config = SettingsConfigDict(env_prefix="CSIP_", extra="ignore", populate_by_name=True)

    database_url: str = DEFAULT_DATABASE_URL
    # Slack user ids allowed to reschedule and reassign any action: "U01ABC,U02DEF".
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    # The workspace whose plan a request from an unknown team id, or the CLI, works on.
    team_id: str = DEFAULT_TEAM

    # Scheduled messages. Channels are Slack channel ids (C…); the bot must be a member.
    digest_channels: Annotated[tuple[str, ...], NoDecode] = ()
    governance_channel: str | None = None  # the monthly exemption report
    management_channel: str | None = None  # actions long overdue are escalated here
    # A line each time an action goes Red; unset, the management channel has them.
    red_alert_channel: str | None = None
    remind_before_working_days: Annotated[tuple[int, ...], NoDecode] = (14, 7, 1)
    escalate_to_lead_after: int = 7  # working days overdue
    escalate_to_management_after: int = 14
    stale_after_days: int = 28
    send_time: dt.time = dt.time(9, 0)  # Europe/London, on working days
    digest_weekday: int = 0  # Monday
    catch_up_hours: int = 48  # a send later than this after its time is skipped
    tick_minutes: int = 5
    work_threads: int = 2  # threads doing the work after Slack's ack (see bot/work.py)

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
    # Several workspaces, each installing csip through Slack's OAuth flow, instead of one
    # SLACK_BOT_TOKEN: the app's credentials (Basic Information → App Credentials).
    slack_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "CSIP_SLACK_CLIENT_ID")
    )
    slack_client_secret: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "CSIP_SLACK_CLIENT_SECRET")
    )
    # GovSlack and tests use another host; slack_sdk wants the trailing "/api/".
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "CSIP_SLACK_API_URL"),
    )

    @field_validator("admins", "digest_channels", "remind_before_working_days", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """Lists are written "U01,U02" in the environment."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _end_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def several_workspaces(self) -> bool:
        """Installed through Slack's OAuth flow in any number of workspaces, rather than in one
        with a bot token. Each workspace then has its own plan, channels and admins only."""
        if self.slack_client_id and self.slack_client_secret:
            if self.slack_bot_token:
                raise SetupError(
                    "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: set the bot token for one "
                    "workspace, or the client id and secret for several, not both."
                )
            return True
        if self.slack_client_id or self.slack_client_secret:
            raise SetupError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both, or neither.")
        return False

    def plan_team(self) -> str:
        """The workspace whose plan a command works on. With several workspaces there is no
        default one: the command must say which (``csip --team T… …`` or CSIP_TEAM_ID)."""
        if self.team_id == DEFAULT_TEAM and self.several_workspaces:
            raise SetupError("csip serves several workspaces: say whose plan, `csip --team T… <command>`.")
        return self.team_id

    def for_team(self, team: str) -> Settings:
        """These settings for another workspace's plan (``csip --team``): only with several
        workspaces, since one serves CSIP_TEAM_ID's plan alone and the rest would never be sent."""
        if team != self.team_id and not self.several_workspaces:
            raise SetupError(
                f"--team is for an install serving several workspaces; this one serves the plan "
                f"of CSIP_TEAM_ID ({self.team_id})."
            )
        return self.model_copy(update={"team_id": team})

    def ignored_with_several_workspaces(self) -> list[str]:
        """Settings that apply to a single-workspace install only, set anyway."""
        ignored = {
            "CSIP_ADMINS": self.admins,
            "CSIP_DIGEST_CHANNELS": self.digest_channels,
            "CSIP_GOVERNANCE_CHANNEL": self.governance_channel,
            "CSIP_MANAGEMENT_CHANNEL": self.management_channel,
            "CSIP_RED_ALERT_CHANNEL": self.red_alert_channel,
        }
        return [name for name, value in ignored.items() if value] if self.several_workspaces else []

    def slack(self) -> SlackConnection:
        return SlackConnection(
            bot_token=self.slack_bot_token,
            signing_secret=self.slack_signing_secret,
            app_token=self.slack_app_token,
            api_url=self.slack_api_url,
        )

    def bot(self) -> BotConfig:
        """With several workspaces there is no default plan, and no admin for all of them."""
        if self.several_workspaces:
            return BotConfig(self.slack(), Access(None, frozenset()), self.work_threads)
        return BotConfig(self.slack(), Access(self.team_id, self.admins), self.work_threads)

    def schedule(self) -> Schedule:
        from plan.reminders import ReminderRules  # loads the bank holidays: only for the scheduler
        from schedules.config import Channels, Schedule

        # With several workspaces, each sets its own channels (schedules.workspaces).
        channels = Channels(
            self.digest_channels,
            self.governance_channel,
            self.management_channel,
            self.red_alert_channel or self.management_channel,
        )
        return Schedule(
            team_id=self.team_id,
            channels=Channels() if self.several_workspaces else channels,
            rules=ReminderRules(
                remind_before=self.remind_before_working_days,
                escalate_to_lead_after=self.escalate_to_lead_after,
                escalate_to_management_after=self.escalate_to_management_after,
                stale_after_days=self.stale_after_days,
            ),
            send_time=self.send_time,
            digest_weekday=self.digest_weekday,
            catch_up=dt.timedelta(hours=self.catch_up_hours),
        )
