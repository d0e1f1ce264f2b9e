import datetime

import factory

from courseproj.courses.models import Course, Membership, User

from courseproj.planner.models import ChoiceCategory, ChoiceMenu, ChoiceOption, Plan, PlanMilestone, ProjectAssignment
from datasets.models import Dataset, DatasetStatus, ProfileJob
from matching.models import Interest, MatchRun


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password("correct horse battery")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    course = factory.SubFactory(CourseFactory)
    user = factory.SubFactory(UserFactory)
    role = "student"


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Dataset {n}")
    description = "Measurements of things, one row per thing."
    tags = "biology"
    status = DatasetStatus.APPROVED
    rows = 150
    column_names = ["a", "b", "label"]
    preview = [["1", "2", "x"]]


class InterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interest

    course = factory.SelfAttribute("dataset.course")
    dataset = factory.SubFactory(DatasetFactory)
    student = factory.SubFactory(UserFactory)
    rank = 1


# --- the planner (issue 6) ---

LAUNCH = datetime.date(2026, 3, 2)


class ProjectAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectAssignment

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Mini-project {n}")
    launch_on = LAUNCH
    checkin_on = datetime.date(2026, 3, 16)
    due_on = datetime.date(2026, 3, 30)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    assignment = factory.SubFactory(ProjectAssignmentFactory)
    student = factory.SubFactory(UserFactory)


class PlanMilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanMilestone

    plan = factory.SubFactory(PlanFactory)
    title = "First baseline"
    due_on = datetime.date(2026, 3, 9)


class ChoiceMenuFactory(factory.django.DjangoModelFactory):
    """The Homework 9 rule: two from two different categories, or the alternative track."""

    class Meta:
        model = ChoiceMenu

    assignment = factory.SubFactory(ProjectAssignmentFactory, plan_fields=[])
    pick_count = 2
    distinct_categories = True
    alternative_label = "Classifier-from-scratch mini-project"


class ChoiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChoiceCategory

    menu = factory.SubFactory(ChoiceMenuFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class ChoiceOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChoiceOption

    category = factory.SubFactory(ChoiceCategoryFactory)
    title = factory.Sequence(lambda n: f"Tutorial {n}")


def member(course, name: str, email: str, role: str = "student", **user_fields) -> User:
    """A named member of the course whose email is confirmed, so they can sign in as in the browser tests."""
    from allauth.account.models import EmailAddress

    fields = {f"user__{key}": value for key, value in user_fields.items()}
    user = MembershipFactory(course=course, role=role, user__name=name, user__email=email, **fields).user
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def published_run(*, course, assignments: dict) -> MatchRun:
    """A published matching, as the matcher stores it: {student user: dataset}."""
    return MatchRun.objects.create(
        course=course, status="published", min_size=2,
        result={"assignments": {str(user.pk): str(dataset.pk) for user, dataset in assignments.items()}},
    )


def done_job(*, dataset, baselines: list[dict], best_model: str = "") -> ProfileJob:
    """A finished profile with these baseline scores, attached to the dataset."""
    job = ProfileJob.objects.create(
        content_key=f"test:{dataset.pk}", engine_version="test", status="done",
        result={"baselines": baselines, "best_model": best_model},
    )
    dataset.profile_job = job
    dataset.save(update_fields=["profile_job"])
    return job
