"""Issue 13's command line, rule by rule: form exports, ids, --roster/--unranked, --previous/--max-moves,
explanations, the JSON keys and usage errors."""
import io
import json

import pytest
from django.core.management import call_command

from matching.engine import REASONS
from matching.preferences import read_preferences, read_previous, read_roster, student_key

KEYS = {"assignments", "circles", "quality", "warnings", "unranked", "moved", "explanations"}


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("match", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue(), err.getvalue()


def run_json(*args: str) -> dict:
    status, out, err = run(*args, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert set(data) == KEYS
    return data


@pytest.fixture
def write(tmp_path):
    def write(content: str, name: str = "choices.csv") -> str:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return str(path)

    return write


# --- rule 1: form exports -----------------------------------------------------------------

GOOGLE = (
    "Timestamp,Email Address,Your name,Which dataset? [1st choice],Which dataset? [2nd choice],"
    "Which dataset? [3rd choice]\n"
    "10/1/2024 9:00:00,ana@uni.edu,Ana Lee,Iris,Wine,Digits\n"
    "10/1/2024 9:05:00,bo@uni.edu,Bo Li,Iris,Digits,Wine\n"
    "10/1/2024 9:10:00,cy@uni.edu,Cy Wu,Wine,Iris,Digits\n"
    "10/1/2024 9:15:00,dee@uni.edu,Dee Ma,Wine,Digits,Iris\n"
)


def test_rule1_an_email_collecting_export_uses_the_email_as_id_and_the_name_for_display():
    preferences = read_preferences(GOOGLE.encode())
    assert preferences.rankings["ana@uni.edu"] == ["Iris", "Wine", "Digits"]
    assert preferences.names["ana@uni.edu"] == "Ana Lee"
    assert "Ana Lee" not in {d for lst in preferences.rankings.values() for d in lst}
    assert preferences.warnings == []


def test_rule1_first_and_last_name_columns_are_names_not_datasets():
    text = "Timestamp,Email,First name,Last name,Choice 1,Choice 2\n1,a@x.org,Ana,Lee,iris,wine\n2,b@x.org,Bo,Li,iris,wine\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"a@x.org": ["iris", "wine"], "b@x.org": ["iris", "wine"]}
    assert preferences.names == {"a@x.org": "Ana Lee", "b@x.org": "Bo Li"}


def test_rule1_without_an_email_the_username_is_the_id_even_after_the_name():
    text = "Name,Username,Rank 1,Rank 2\nAna Lee,alee,iris,wine\nBo Li,bli,wine,iris\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"alee": ["iris", "wine"], "bli": ["wine", "iris"]}
    assert preferences.names == {"alee": "Ana Lee", "bli": "Bo Li"}


def test_rule1_choice_columns_are_ordered_by_their_number_and_others_are_named():
    text = "student,Comments,Choice 3,2nd,Preference 1,Section\nana,hi,c,b,a,S1\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"ana": ["a", "b", "c"]}
    assert any("“Comments”" in w and "“Section”" in w for w in preferences.warnings)


def test_rule1_the_plain_format_takes_every_other_column_as_a_choice():
    preferences = read_preferences(b"id,iris,wine\n17,digits,penguins\n")
    assert preferences.rankings == {"17": ["digits", "penguins"]}


def test_rule1_a_newest_first_export_keeps_the_latest_submission():
    text = ("Timestamp,Email Address,Choice 1\n"
            "10/14/2024 10:00:00,ana@x.org,wine\n"
            "10/2/2024 10:00:00,ana@x.org,iris\n")
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"ana@x.org": ["wine"]}
    assert "row 2 was kept (latest timestamp)" in preferences.warnings[0]


def test_rule1_iso_and_google_download_timestamps_parse_with_their_zones():
    iso = "Timestamp,student,choice 1\n2024-10-02T10:00:00Z,ana,new\n2024-10-01T23:00:00-05:00,ana,old\n"
    assert read_preferences(iso.encode()).rankings == {"ana": ["new"]}  # 10:00 UTC is after 04:00 UTC
    forms = ("Timestamp,student,choice 1\n2024/10/02 1:00:00 PM GMT+2,ana,early\n"
             "2024/10/02 12:30:00 PM GMT+0,ana,late\n")
    assert read_preferences(forms.encode()).rankings == {"ana": ["late"]}


def test_rule1_ambiguous_day_and_month_fall_back_to_file_order():
    text = "Timestamp,student,choice 1\n1/2/2024 10:00:00,ana,first\n2/1/2024 10:00:00,ana,second\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"ana": ["second"]}
    assert "ambiguous" in preferences.warnings[0] and "row 3 was kept" in preferences.warnings[0]


def test_rule1_one_unambiguous_date_fixes_the_order_for_the_column():
    # 13/1 can only be day-first, so 1/2 is 1 February and 2/1 is 2 January: row 2 is the latest.
    text = ("Timestamp,student,choice 1\n1/2/2024 10:00:00,ana,february\n2/1/2024 10:00:00,ana,january\n"
            "13/1/2024 10:00:00,bo,x\n")
    assert read_preferences(text.encode()).rankings["ana"] == ["february"]


def test_rule1_in_the_command_warnings_name_the_kept_row(write):
    text = GOOGLE + "10/2/2024 9:00:00,ANA@uni.edu,Ana Lee,Digits,Wine,Iris\n"
    data = run_json(write(text))
    assert any("row 6 was kept (latest timestamp)" in w for w in data["warnings"])
    assert data["assignments"]["ana@uni.edu"] is not None and len(data["assignments"]) == 4


# --- rule 2: ids ------------------------------------------------------------------------------


def test_rule2_ids_are_case_sensitive_and_never_numbers():
    text = "student,choice 1\nTRUE,iris\ntrue,iris\n007,wine\n7,wine\n1e3,digits\n1000,digits\n"
    preferences = read_preferences(text.encode())
    assert sorted(preferences.rankings) == sorted(["TRUE", "true", "007", "7", "1e3", "1000"])
    assert preferences.warnings == []


def test_rule2_ids_are_nfc_and_trimmed_including_non_breaking_spaces():
    text = "student,choice 1\n\u00a0Zoe\u0301 ,iris\nZo\u00e9,wine\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"Zo\u00e9": ["wine"]}
    assert student_key("\u2007Zo\u00e9\u200b") == "Zo\u00e9"


def test_rule2_emails_compare_ignoring_case_datasets_ignoring_case_and_spaces():
    text = "student,choice 1,choice 2\nAna@X.org,Iris  Flowers,wine\nana@x.org,iris flowers,WINE\n"
    preferences = read_preferences(text.encode())
    assert preferences.rankings == {"Ana@X.org": ["Iris Flowers", "wine"]}


def test_rule2_true_and_true_stay_two_students_on_their_own_lists(write):
    data = run_json(write("student,choice 1\nTRUE,iris\ntrue,iris\nx,wine\n"))
    assert data["circles"]["iris"] == ["TRUE", "true"]
    assert data["quality"]["violations"] == 0 and data["quality"]["optimal"] is True


# --- rule 3: students who never ranked --------------------------------------------------------------

CLASS = "student,choice 1,choice 2\nana,iris,wine\nbo,iris,wine\ncy,wine,iris\n"
ROSTER = "Name,Email,Section\nAna,ana,1\nBo,bo,1\nCy,cy,1\nDee,dee,1\nEd,ed,2\n"


def test_rule3_the_roster_id_column_is_the_email_else_id_username_student_else_the_first():
    assert read_roster(b"Name,E-mail address\nAna,ana@x.org\n").students == ["ana@x.org"]
    assert read_roster(b"Name,Student ID\nAna,17\n").students == ["17"]
    assert read_roster(b"Login name,Section\nana,1\n").students == ["ana"]


def test_rule3_unranked_are_left_and_listed_by_default(write):
    data = run_json(write(CLASS), "--roster", write(ROSTER, "roster.csv"))
    assert data["unranked"] == ["dee", "ed"]
    assert data["assignments"]["dee"] is None and data["assignments"]["ed"] is None
    assert data["quality"]["unranked_placed"] == 0
    assert data["explanations"]["dee"] == {
        "rank": None, "reason": "unranked_no_room",
        "detail": "You did not rank any dataset; rank some so the matcher can place you.",
    }


def test_rule3_placing_brings_a_lonely_circle_up_then_fills_used_datasets(write):
    # cy is alone on wine; one unranked student makes wine a circle, the other joins a used dataset.
    data = run_json(write(CLASS), "--roster", write(ROSTER, "roster.csv"), "--unranked", "place")
    assert data["quality"]["unranked_placed"] == 2 and data["unranked"] == []
    assert len(data["circles"]["wine"]) >= 2 and data["assignments"]["cy"] == "wine"
    assert data["quality"]["buddied"] == 3  # all ranked students buddied, which they could not be alone
    assert all(data["explanations"][s]["reason"] == "unranked" for s in ("dee", "ed"))


def test_rule3_placing_never_exceeds_the_maximum_and_reports_who_is_left(write):
    data = run_json(write(CLASS), "--roster", write(ROSTER, "roster.csv"), "--unranked", "place", "--max-size", "2")
    assert all(len(members) <= 2 for members in data["circles"].values())
    assert data["quality"]["unranked_placed"] + len(data["unranked"]) == 2
    assert data["quality"]["violations"] == 0


def test_rule3_file_students_missing_from_the_roster_are_kept_and_named(write):
    data = run_json(write(CLASS + "zed,iris,wine\n"), "--roster", write(ROSTER, "roster.csv"))
    assert data["assignments"]["zed"] is not None
    assert any("not on the roster" in w and "zed" in w for w in data["warnings"])


# --- rule 4: late joiners ---------------------------------------------------------------------------

LATE = ("student,choice 1,choice 2\nana,iris,wine\nbo,iris,wine\ncy,wine,iris\ndee,wine,iris\n"
        "eve,digits,wine\nnew1,digits,iris\n")
PREVIOUS = "student,dataset\nana,iris\nbo,iris\ncy,wine\ndee,wine\neve,wine\n"


def test_rule4_previous_students_stay_and_newcomers_are_placed(write):
    data = run_json(write(LATE), "--previous", write(PREVIOUS, "previous.csv"))
    for student, dataset in [("ana", "iris"), ("bo", "iris"), ("cy", "wine"), ("dee", "wine"), ("eve", "wine")]:
        assert data["assignments"][student] == dataset
    assert data["moved"] == [] and data["assignments"]["new1"] in {"iris", "wine"}  # buddied, not alone
    assert data["explanations"]["eve"]["reason"] == "previous"


def test_rule4_moves_are_capped_and_stay_on_the_students_own_list(write):
    # With one move eve (first choice digits) joins the newcomer on digits: both better off.
    data = run_json(write(LATE), "--previous", write(PREVIOUS, "previous.csv"), "--max-moves", "1")
    assert data["moved"] == ["eve"] and data["assignments"]["eve"] == "digits"
    assert data["circles"]["digits"] == ["eve", "new1"]
    assert data["quality"]["moved"] == 1 and data["quality"]["violations"] == 0


def test_rule4_a_newcomer_can_rescue_a_previous_student_left_alone(write):
    data = run_json(write("student,choice 1\nana,iris\nbo,iris\ncy,wine\nnew,wine\n"),
                    "--previous", write("student,dataset\nana,iris\nbo,iris\ncy,wine\n", "previous.csv"))
    assert data["circles"]["wine"] == ["cy", "new"] and data["quality"]["buddied"] == 4


def test_rule4_previous_datasets_match_file_spellings_and_ids(write):
    data = run_json(write("student,choice 1\nAna@X.org,Iris\nbo,iris\n"),
                    "--previous", write("student,dataset\nana@x.org,IRIS\n", "previous.csv"))
    assert data["assignments"] == {"Ana@X.org": "Iris", "bo": "Iris"}


# --- rule 5: explanations --------------------------------------------------------------------------


def test_rule5_every_student_off_their_first_choice_has_a_documented_reason(write):
    text = "student,choice 1,choice 2,choice 3\n" + "".join(
        f"s{i},{['iris', 'wine', 'digits'][i % 3]},{['wine', 'digits', 'iris'][i % 3]},solo{i}\n" for i in range(8)
    ) + "t,only_mine,iris\nu,\n"
    data = run_json(write(text), "--max-size", "2")
    off_first = [s for s, d in data["assignments"].items() if d is None or d != read_first(text, s)]
    assert sorted(data["explanations"]) == sorted(off_first)
    for student, why in data["explanations"].items():
        assert set(why) == {"rank", "reason", "detail"}
        assert why["reason"] in REASONS and why["detail"].endswith(".")
        if "full" in why["reason"]:
            assert len(data["circles"][read_first(text, student)]) == 2
    assert data["explanations"]["u"]["reason"] == "empty_list"
    assert "t" not in data["explanations"]  # alone, but on their first choice
    assert data["explanations"]["s6"]["reason"] == "first_choice_full"


def read_first(text: str, student: str) -> str | None:
    for line in text.splitlines()[1:]:
        cells = line.split(",")
        if cells[0] == student:
            return cells[1] or None
    return None


def test_rule5_the_previous_code_means_the_student_keeps_their_dataset(write):
    data = run_json(write(LATE), "--previous", write(PREVIOUS, "previous.csv"))
    for student, why in data["explanations"].items():
        if "previous" in why["reason"]:
            assert data["assignments"][student] == read_previous(PREVIOUS.encode()).assignments[student]


# --- rule 6: keys and usage errors -------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--unranked", "place"], ["--unranked", "leave"], ["--max-moves", "2"]])
def test_rule6_options_without_their_file_are_usage_errors(write, args):
    status, out, err = run(write(CLASS), *args, "--json")
    assert status == 2 and json.loads(out)["error"]["code"] == "usage"
    assert err.startswith("error: --") and err.count("\n") == 1


def test_rule6_unreadable_roster_and_previous_files_are_clear_errors(write, tmp_path):
    status, out, _ = run(write(CLASS), "--roster", str(tmp_path / "none.csv"), "--json")
    assert status == 1 and json.loads(out)["error"]["code"] == "not_found"
    status, out, _ = run(write(CLASS), "--previous", write("student\n", "bad.csv"), "--json")
    assert status == 1 and json.loads(out)["error"]["code"] == "bad_previous"


def test_rule6_the_table_names_moves_unranked_and_reasons(write):
    status, out, _ = run(write(LATE), "--previous", write(PREVIOUS, "previous.csv"), "--max-moves", "0")
    assert status == 0
    assert "moved (at most 0): nobody" in out and "eve #2 [previous]" in out and "Not on their first choice:" in out and "Fairness:" in out


def test_rule3_and_4_a_previous_student_on_the_roster_only_is_kept_not_unranked(write):
    data = run_json(write(CLASS), "--roster", write(ROSTER.replace(",dee,", ",Dee@X.org,"), "roster.csv"),
                    "--previous", write("student,dataset\ndee@x.org,wine\n", "previous.csv"))
    assert data["assignments"]["dee@x.org"] == "wine" and "Dee@X.org" not in data["assignments"]
    assert data["unranked"] == ["ed"]
