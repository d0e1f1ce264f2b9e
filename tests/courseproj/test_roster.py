from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseproj.courses.models import RosterEntry


def _post_roster(client, course, content: bytes, name="roster.csv"):
    return client.post(
        reverse("roster_import", args=[course.pk]), {"file": SimpleUploadedFile(name, content, "text/csv")}, follow=True
    )


def test_canvas_style_roster_is_imported_with_names_verbatim(client_for, course, instructor):
    content = "Student,ID,Email\n=HYPERLINK(\"x\"),1,ada@uni.edu\nBen Ok,2,ben@uni.edu\n".encode()
    response = _post_roster(client_for(instructor), course, content)
    assert "2 added" in response.content.decode()
    assert RosterEntry.objects.get(course=course, email="ada@uni.edu").name == '=HYPERLINK("x")'


def test_first_and_last_name_columns_are_joined(client_for, course, instructor):
    _post_roster(client_for(instructor), course, b"First name,Last name,Email address\nAda,Park,ADA@uni.edu\n")
    assert RosterEntry.objects.get(course=course).name == "Ada Park"
    assert RosterEntry.objects.get(course=course).email == "ada@uni.edu"


def test_bad_lines_are_reported_and_good_lines_kept(client_for, course, instructor):
    response = _post_roster(client_for(instructor), course, b"email,name\nnot-an-email,X\nok@uni.edu,Ok\nok@uni.edu,Dup\n")
    html = response.content.decode()
    assert "Line 2" in html and "Line 4" in html
    assert list(RosterEntry.objects.values_list("email", flat=True)) == ["ok@uni.edu"]


def test_roster_without_email_column_is_refused(client_for, course, instructor):
    response = _post_roster(client_for(instructor), course, b"name\nAda\n")
    assert "column named" in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_empty_roster_file_is_refused(client_for, course, instructor):
    response = _post_roster(client_for(instructor), course, b"")
    assert "The file is empty" in response.content.decode()


def test_reimport_updates_instead_of_duplicating(client_for, course, instructor):
    client = client_for(instructor)
    _post_roster(client, course, b"email,name\nada@uni.edu,Ada\n")
    response = _post_roster(client, course, b"email,name\nada@uni.edu,Ada Park\n")
    assert "0 added, 1 updated" in response.content.decode()
    assert RosterEntry.objects.get().name == "Ada Park"


def test_members_page_lists_roster_students_who_have_not_joined(client_for, course, instructor, student):
    RosterEntry.objects.create(course=course, email="late@uni.edu", name="Late Larry")
    RosterEntry.objects.create(course=course, email=student.email, name="Sam")
    html = client_for(instructor).get(reverse("members", args=[course.pk])).content.decode()
    assert "Late Larry" in html
    assert "not joined yet (1)" in html


def test_student_cannot_import_roster(client_for, course, student):
    response = client_for(student).post(
        reverse("roster_import", args=[course.pk]), {"file": SimpleUploadedFile("r.csv", b"email\na@b.c\n")}
    )
    assert response.status_code == 403
    assert not RosterEntry.objects.exists()


def test_an_upper_case_roster_email_counts_as_joined_on_both_pages(client_for, course, instructor, student):
    """The Members page and the dashboard read one "not joined" list, and it ignores case."""
    RosterEntry.objects.create(course=course, email=student.email.upper(), name="Sam Student")
    RosterEntry.objects.create(course=course, email="late@uni.edu", name="Late Larry")
    client = client_for(instructor)
    members = client.get(reverse("members", args=[course.pk])).content.decode()
    dashboard = client.get(reverse("dashboard", args=[course.pk])).content.decode()
    assert "not joined yet (1)" in members and "Late Larry" in members
    assert "<dt>On the roster, not joined</dt><dd>1</dd>" in dashboard and "Late Larry" in dashboard
