"""Roster files as LMSs export them (issue 14, item 5): a Canvas gradebook and a Moodle participants export, with names."""
from courseproj.courses import services
from courseproj.courses.models import RosterEntry

CANVAS_GRADEBOOK = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Homework 9 (812),Day 9 quiz (813),Current Score,Final Score\r\n"
    "    Points Possible,,,,,10,5,(read only),(read only)\r\n"
    '"Fischer, Lena",40123,S-001,lena.fischer@uni.example,ML 101 (A),9,4,86.7,86.7\r\n'
    '"O\'Neil, Ada Mae",40124,S-002,Ada.ONeil@Uni.Example,ML 101 (B),,,,\r\n'
)

MOODLE_PARTICIPANTS = (
    "\ufeffFirst name,Last name,ID number,Institution,Department,Email address\n"
    "Lena,Fischer,,Uni,CS,lena.fischer@uni.example\n"
    "Chloé,Dubois,,Uni,CS,chloe.dubois@uni.example\n"
)


def test_canvas_gradebook_export_is_read_as_it_comes(course):
    report = services.roster_import(course=course, data=CANVAS_GRADEBOOK.encode())
    assert (report.added, report.errors) == (2, [])  # the "Points Possible" row is nobody
    names = dict(RosterEntry.objects.filter(course=course).values_list("email", "name"))
    assert names == {"lena.fischer@uni.example": "Lena Fischer", "ada.oneil@uni.example": "Ada Mae O'Neil"}


def test_moodle_participants_export_is_read_with_names(course):
    report = services.roster_import(course=course, data=MOODLE_PARTICIPANTS.encode("utf-8"))
    assert (report.added, report.errors) == (2, [])
    names = dict(RosterEntry.objects.filter(course=course).values_list("email", "name"))
    assert names == {"lena.fischer@uni.example": "Lena Fischer", "chloe.dubois@uni.example": "Chloé Dubois"}
