"""The demo course: an instructor, the built-in catalog and 30 students with overlapping interests."""
import random

from allauth.account.models import EmailAddress
from django.db import transaction

from courseproj.models import Course, Membership, Role, User
from datasets.builtins import BUILTINS
from datasets.services import dataset_add_builtin
from matching.services import interest_set_ranking

DEMO_PASSWORD = "courseproj-demo"
INSTRUCTOR_EMAIL = "instructor@example.com"
DEMO_JOIN_CODE = "ML9DAY"
STUDENT_NAMES = [
    "Ada Park", "Ben Okafor", "Chloe Martin", "Dev Patel", "Elena Rossi", "Farid Haddad", "Grace Liu",
    "Hugo Schmidt", "Ines Duarte", "Jonas Berg", "Kemi Adeyemi", "Liam O'Brien", "Maya Cohen", "Noah Kim",
    "Olga Ivanova", "Pablo García", "Quinn Taylor", "Rosa Mendes", "Sam Novak", "Tara Singh", "Umar Farouk",
    "Vera Horvat", "Will Chen", "Xenia Petrova", "Yusuf Demir", "Zoe Laurent", "Aiko Tanaka", "Bruno Costa",
    "Carmen Ruiz", "Dmitri Volkov",
]
# Popularity of the built-ins: a couple of favourites and a long tail, as in a real class.
POPULARITY = {"iris": 5, "penguins": 4, "breast_cancer": 3, "digits": 2, "wine": 1}


def _user(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, name=name)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def load_demo(*, students: int = 30) -> Course:
    """Create (or find) the demo course. Safe to run any number of times."""
    with transaction.atomic():
        instructor = _user(INSTRUCTOR_EMAIL, "Prof. Rivera")
        course, _ = Course.objects.get_or_create(
            join_code=DEMO_JOIN_CODE, defaults={"title": "Machine Learning — Day 9 mini-project"}
        )
        Membership.objects.get_or_create(course=course, user=instructor, defaults={"role": Role.INSTRUCTOR})
        datasets = {key: dataset_add_builtin(course=course, key=key)[0] for key in BUILTINS}
        rng = random.Random(9)
        keys = list(POPULARITY)
        weights = [POPULARITY[k] for k in keys]
        for number, name in enumerate(STUDENT_NAMES[:students], start=1):
            user = _user(f"student{number:02d}@example.com", name)
            membership, created = Membership.objects.get_or_create(course=course, user=user, defaults={"role": Role.STUDENT})
            if not created or number % 10 == 0:
                continue  # keep existing lists; every tenth student has not ranked yet
            picks: list[str] = []
            while len(picks) < min(course.ranking_size, len(keys)):
                choice = rng.choices(keys, weights)[0]
                if choice not in picks:
                    picks.append(choice)
            interest_set_ranking(membership=membership, dataset_ids=[datasets[k].pk for k in picks])
    return course
