"""Who people are in Slack: user ids to e-mails and back, cached in the plan's people table."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from plan.model import Person
from plan.ports import PlanStore


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    email: str | None


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def profile(self, user_id: str) -> Profile | None:
        """users.info (the e-mail needs users:read.email); None for no such user.

        Other failures (Slack down after the client's retries) raise: "not found" is remembered
        by callers, and must not be said when Slack simply did not answer.
        """
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.get("error") != "user_not_found":
                raise
            return None
        profile = user.get("profile", {})
        name = profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
        return Profile(user_id=user_id, name=name, email=profile.get("email"))

    def user_id_for_email(self, email: str) -> str | None:
        """users.lookupByEmail; None when Slack knows nobody with that address (others raise)."""
        try:
            return str(self.client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                raise
            return None


def identify(store: PlanStore, directory: SlackDirectory, plan_id: int, user_id: str) -> Person | None:
    """The plan's person for a Slack user, matching by e-mail the first time and caching the id.

    A Slack user whose e-mail is not in the plan is a stranger: None.
    """
    person = store.person_by_slack_id(plan_id, user_id)
    if person is not None:
        return person
    profile = directory.profile(user_id)
    if profile is None or not profile.email or store.person_by_email(plan_id, profile.email) is None:
        return None
    person = store.save_person(plan_id, profile.name, profile.email, user_id)
    store.commit()
    return person


def person_for_user(store: PlanStore, directory: SlackDirectory, plan_id: int, user_id: str) -> Person | None:
    """The plan's person for a Slack user, added to the plan if new (e.g. a new owner)."""
    person = identify(store, directory, plan_id, user_id)
    if person is not None:
        return person
    profile = directory.profile(user_id)
    if profile is None:
        return None
    person = store.save_person(plan_id, profile.name, profile.email, user_id)
    store.commit()
    return person


def resolve_slack_id(store: PlanStore, directory: SlackDirectory, plan_id: int, person: Person) -> Person:
    """Fill in a person's Slack id from their e-mail the first time it is needed."""
    if person.slack_user_id or not person.email:
        return person
    user_id = directory.user_id_for_email(person.email)
    if user_id is None:
        return person
    person = store.save_person(plan_id, person.name, person.email, user_id)
    store.commit()
    return person
