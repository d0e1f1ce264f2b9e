import factory

from courseproj.models import Course, Membership, User
from datasets.models import Dataset, DatasetStatus
from matching.models import Interest


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
