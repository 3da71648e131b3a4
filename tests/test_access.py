"""The access rules as pure functions: owners, facilitators of the session's cohort, admins."""

import pytest

from simulator.access import (
    AccessDenied,
    Actor,
    Role,
    SessionScope,
    can_create_cohort,
    can_delete_session,
    can_manage_cohort,
    can_manage_users,
    can_review_session,
    can_view_session,
    require,
)

ANA = Actor(id="ana", username="ana", role=Role.LEARNER)
BEN = Actor(id="ben", username="ben", role=Role.LEARNER)
FRAN = Actor(id="fran", username="fran", role=Role.FACILITATOR, facilitates=frozenset({1}))
GIL = Actor(id="gil", username="gil", role=Role.FACILITATOR, facilitates=frozenset({2}))
ROOT = Actor(id="root", username="root", role=Role.ADMIN)
FREE_PRACTICE = SessionScope(owner_id="ana")
COHORT_ONE = SessionScope(owner_id="ana", cohort_id=1)


def test_free_practice_is_private_to_its_owner_even_from_facilitators_and_admins():
    assert can_view_session(ANA, FREE_PRACTICE)
    assert not any(can_view_session(actor, FREE_PRACTICE) for actor in (BEN, FRAN, GIL, ROOT))


def test_an_assignment_session_is_seen_by_its_owner_its_cohorts_facilitators_and_admins():
    assert [can_view_session(actor, COHORT_ONE) for actor in (ANA, BEN, FRAN, GIL, ROOT)] == [
        True,
        False,
        True,
        False,
        True,
    ]


def test_only_the_cohorts_facilitators_and_admins_review_and_the_learner_does_not_grade_herself():
    assert [can_review_session(actor, COHORT_ONE) for actor in (ANA, FRAN, GIL, ROOT)] == [
        False,
        True,
        False,
        True,
    ]
    assert not can_review_session(FRAN, FREE_PRACTICE)


def test_deleting_a_session_is_for_its_owner_or_an_admin():
    assert can_delete_session(ANA, COHORT_ONE) and can_delete_session(ROOT, COHORT_ONE)
    assert not can_delete_session(FRAN, COHORT_ONE)


def test_cohort_and_user_management_by_role():
    assert [can_create_cohort(actor) for actor in (ANA, FRAN, ROOT)] == [False, True, True]
    assert can_manage_cohort(FRAN, 1) and not can_manage_cohort(FRAN, 2) and can_manage_cohort(ROOT, 2)
    assert [can_manage_users(actor) for actor in (ANA, FRAN, ROOT)] == [False, False, True]


def test_require_raises_the_given_message():
    require(True, "unused")
    with pytest.raises(AccessDenied, match="not yours"):
        require(False, "not yours")
