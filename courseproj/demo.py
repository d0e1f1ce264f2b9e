"""The demo: its course (an instructor, the built-in catalog and 30 students with overlapping interests)
and the address phones in the room reach it at."""
import ipaddress
import random
import socket
import subprocess
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.db import transaction

from courseproj.planner import services as planner
from courseproj.courses.models import Course, Membership, Role, User
from courseproj.planner.models import ChoiceMenu, ProjectAssignment
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


# Any address in a private range: a UDP socket "connected" there makes the kernel
# choose the interface it would route through, and connect() on UDP sends nothing.
_ROUTE_PROBE = ("10.254.254.254", 9)


def _reachable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.version == 4 and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


def lan_address() -> str:
    """This machine's address on the room's network, found without sending a packet.

    1. The address of the interface the kernel would route the room's traffic through.
    2. Else the first address `hostname -I` lists (Linux), private ranges first.
    3. Else 127.0.0.1: only this machine can open the link, and the demo says so.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address = probe.getsockname()[0]
        if _reachable(address):
            return address
    except OSError:
        pass
    try:
        listed = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        listed = []
    candidates = sorted((a for a in listed if _reachable(a)), key=lambda a: not ipaddress.ip_address(a).is_private)
    return candidates[0] if candidates else "127.0.0.1"


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
            join_code=DEMO_JOIN_CODE,
            # In class: from the QR code to a first pick without waiting for an email.
            defaults={"title": "Machine Learning — Day 9 mini-project", "email_confirmation_later": True},
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
        launch = date.today()
        homework9_assignment(course=course, launch=launch)
        _demo_plans(course, launch)
    return course


# --- the planner (issue 6): the mini-project plan and Homework 9's tutorial menu ---

# Homework 9 (seeds/003): "pick two resources from the tutorials … from two different categories",
# or the classifier-from-scratch mini-project instead.
HOMEWORK9_TITLE = "Homework 9: two PyTorch tutorials"
HOMEWORK9_INSTRUCTIONS = (
    "Pick two resources from the PyTorch tutorials, work through them on your own, and write a paragraph about "
    "your experience for each. Try to make this something you learn from, not just something you get through."
)
HOMEWORK9_MENU_INSTRUCTIONS = (
    "The left menu of the PyTorch tutorials list has many categories: pick something from two different ones. "
    "Text tutorials are not as good as they look: they use different abstractions than the Hugging Face library."
)
HOMEWORK9_OUTLINE = """\
PyTorch Recipes: there are lots of good options here
- Saving and loading models https://pytorch.org/tutorials/beginner/saving_loading_models.html
- Defining a neural network https://pytorch.org/tutorials/recipes/recipes/defining_a_neural_network.html
- What is a state_dict? https://pytorch.org/tutorials/recipes/recipes/what_is_state_dict.html
- Zeroing out gradients https://pytorch.org/tutorials/recipes/recipes/zeroing_out_gradients.html
Introduction to PyTorch: the entire category counts as one of your two resources (you can probably skim)
- Learn the Basics (the whole series) https://pytorch.org/tutorials/beginner/basics/intro.html
Introduction on YouTube: if you choose this category, type out the code yourself
- Introduction to PyTorch on YouTube (the whole series) https://pytorch.org/tutorials/beginner/introyt.html
Image and Video: these all look good
- Transfer learning for computer vision https://pytorch.org/tutorials/beginner/transfer_learning_tutorial.html
- TorchVision object detection finetuning https://pytorch.org/tutorials/intermediate/torchvision_tutorial.html
- Adversarial example generation https://pytorch.org/tutorials/beginner/fgsm_tutorial.html
Text: these use different abstractions than the Hugging Face library
- Classifying names with a character-level RNN https://pytorch.org/tutorials/intermediate/char_rnn_classification_tutorial.html
- Language translation with nn.Transformer https://pytorch.org/tutorials/beginner/translation_transformer.html
Advanced (RL, Deploying, Parallel, Mobile, Recommendation): for the curious; we do a bit of RL later
- Reinforcement learning (DQN) https://pytorch.org/tutorials/intermediate/reinforcement_q_learning.html
- Deploying with Flask https://pytorch.org/tutorials/intermediate/flask_rest_api_tutorial.html
- Distributed data parallel https://pytorch.org/tutorials/intermediate/ddp_tutorial.html
"""
ALTERNATIVE_TRACK = "The classifier-from-scratch mini-project"
ALTERNATIVE_URL = "https://cs.calvin.edu/courses/cs/344/22sp/units/06recap/mini-proj/"
MINI_PROJECT_TITLE = "Small-data mini-project on classification"
# The Day 9 seed's advice, as the assignment states it.
MINI_PROJECT_INSTRUCTIONS = (
    "A solo classification project on a small dataset. Our general recommendation is to choose a dataset that at "
    "least one other person works on, so you have someone to confer with while you figure out its nuances."
)
DEMO_ANSWERS = {
    "Application": "Help a field biologist identify a specimen quickly from a few measurements.",
    "Stakeholders and risks": "Biologists and the records they keep; a confident wrong label ends up in a survey.",
    "Target and metric": "The species column; balanced accuracy, because the classes are not the same size.",
    "Iteration plan": "Start from the logistic-regression baseline, then try feature scaling and a small tree ensemble.",
    "Data source and licence": "A built-in dataset shipped with an open-source package, free to use for teaching.",
}


def homework9_assignment(*, course: Course, launch: date) -> ProjectAssignment:
    """Homework 9 with its tutorial menu; found again (not duplicated) on a second run."""
    assignment, _ = ProjectAssignment.objects.get_or_create(
        course=course, title=HOMEWORK9_TITLE,
        defaults={"launch_on": launch, "checkin_on": launch + timedelta(days=3), "due_on": launch + timedelta(days=6),
                  "plan_fields": [], "needs_dataset": False, "instructions": HOMEWORK9_INSTRUCTIONS},
    )
    if not ChoiceMenu.objects.filter(assignment=assignment).exists():
        planner.menu_save(
            assignment=assignment, outline=planner.parse_menu_outline(HOMEWORK9_OUTLINE), pick_count=2,
            distinct_categories=True, alternative_label=ALTERNATIVE_TRACK, alternative_url=ALTERNATIVE_URL,
            instructions=HOMEWORK9_MENU_INSTRUCTIONS,
        )
    return assignment


def _demo_plans(course: Course, launch: date) -> None:
    """The mini-project, with a few plans already submitted so the dashboard has something to show."""
    assignment, created = ProjectAssignment.objects.get_or_create(
        course=course, title=MINI_PROJECT_TITLE,
        defaults={"launch_on": launch, "checkin_on": launch + timedelta(days=7), "due_on": launch + timedelta(days=21),
                  "instructions": MINI_PROJECT_INSTRUCTIONS},
    )
    if not created:
        return
    students = course.memberships.students().select_related("user", "course").order_by("user__email")
    for index, membership in enumerate(students[:8]):
        plan, _ = planner.plan_start(membership=membership, assignment=assignment)
        planner.plan_save(plan=plan, by=membership, answers=DEMO_ANSWERS, dataset_id=plan.dataset_id)
        if plan.dataset_id and index < 5:
            planner.plan_submit(plan=plan, by=membership)
