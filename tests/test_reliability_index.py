"""Every row of RELIABILITY.md (../shared/RELIABILITY.md) has a named test, and every named test exists.

The table is the index: row number -> the tests that prove the row's
expected behaviour (node ids, relative to the repository root). CI runs every
one of them on SQLite + the filesystem broker and on PostgreSQL + Redis; the
drills (tests/drills) start their own redis-server, workers and gunicorn, and
the one marked PostgreSQL-only says so in its docstring. Load at class scale is
measured by bench/live_bench.py (rows 34, 35) and bench/class_morning.py
(rows 28, 34), which are benchmarks, not tests.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROWS = range(1, 45)

LOAD = "tests/profiling/test_load_table.py"
FORMAT = "tests/profiling/test_detect_format.py"
CATALOG = "tests/datasets/test_catalog.py"
JOBS = "tests/datasets/test_jobs.py"
HTTP_UPLOADS = "tests/datasets/test_upload_http.py"
HOSTILE = "tests/datasets/test_hostile_content.py"
ACCOUNTS = "tests/accounts/test_accounts.py"
INTERESTS = "tests/matching/test_interests.py"
ENGINE = "tests/matching/test_engine.py"
WORKERS = "tests/drills/test_worker_deaths.py"
BROKER = "tests/drills/test_broker_faults.py"
DATABASE = "tests/drills/test_database_faults.py"

INDEX: dict[int, list[str]] = {
    1: [f"{LOAD}::test_zero_byte_file_is_refused_as_empty", f"{FORMAT}::test_empty_head_is_an_empty_file",
        f"{CATALOG}::test_empty_upload_is_refused_and_nothing_is_saved"],
    2: [f"{LOAD}::test_header_only_csv_loads_as_zero_rows_and_the_profiler_refuses_clearly",
        f"{JOBS}::test_header_only_csv_is_accepted_and_its_job_fails_with_a_clear_reason"],
    3: [f"{CATALOG}::test_oversized_upload_is_refused_from_its_header",
        f"{CATALOG}::test_oversized_upload_without_length_is_stopped_while_streaming",
        f"{HTTP_UPLOADS}::test_row3_a_200_mb_upload_is_refused_before_its_body_is_sent"],
    4: [f"{FORMAT}::test_csv_name_with_binary_content_is_refused_by_content",
        f"{FORMAT}::test_xlsx_that_is_not_a_zip_is_refused", f"{CATALOG}::test_wrong_content_for_the_name_is_refused",
        f"{LOAD}::test_content_that_does_not_match_the_name_is_refused_when_loading"],
    5: [f"{LOAD}::test_cp1252_file_with_accents_is_decoded_and_the_encoding_reported"],
    6: [f"{LOAD}::test_utf16_file_with_bom_is_decoded"],
    7: [f"{LOAD}::test_utf8_bom_does_not_reach_the_column_names"],
    8: [f"{LOAD}::test_semicolons_with_decimal_commas_are_read_as_numbers_and_reported"],
    9: [f"{LOAD}::test_single_column_file_stays_one_column"],
    10: [f"{LOAD}::test_ragged_rows_are_skipped_counted_and_numbered",
         f"{LOAD}::test_mostly_ragged_file_is_refused_with_the_field_count"],
    11: [f"{LOAD}::test_duplicate_and_blank_headers_are_renamed_visibly",
         "tests/profiling/test_profile_frame.py::test_duplicate_names_in_a_frame_are_renamed_visibly"],
    12: [f"{LOAD}::test_na_none_and_leading_zeros_are_preserved_exactly"],
    13: [f"{LOAD}::test_mixed_type_column_over_300k_rows_stays_text_deterministically"],
    14: [f"{LOAD}::test_nul_and_control_characters_are_stripped_from_cells_and_headers",
         f"{HOSTILE}::test_row14_nul_and_control_characters_never_reach_the_database"],
    15: [f"{LOAD}::test_twenty_thousand_columns_are_refused_fast", f"{LOAD}::test_ten_megabyte_cell_is_refused_fast",
         f"{LOAD}::test_a_cell_over_the_cap_but_within_a_parser_block_is_refused"],
    16: [f"{LOAD}::test_xlsx_zip_bomb_is_refused_from_the_central_directory_in_under_a_second"],
    17: [f"{LOAD}::test_xlsx_with_entity_expansion_is_refused"],
    18: [f"{LOAD}::test_xlsx_with_a_macro_project_is_refused",
         f"{FORMAT}::test_dangerous_or_unsupported_extensions_are_refused_with_advice",
         f"{CATALOG}::test_formats_outside_the_allow_list_are_refused"],
    19: [f"{LOAD}::test_parquet_is_read_with_its_own_types", f"{LOAD}::test_parquet_with_nested_columns_is_refused",
         f"{HOSTILE}::test_row19_pyarrow_is_at_least_the_release_that_fixed_untrusted_file_reads",
         f"{HOSTILE}::test_row19_the_web_process_stores_a_parquet_upload_without_opening_it",
         f"{WORKERS}::test_row41_slow_file_hits_the_soft_time_limit_and_the_worker_lives_on",
         f"{WORKERS}::test_row42_memory_blowup_hits_the_address_space_cap_and_the_worker_lives_on"],
    20: [f"{CATALOG}::test_formats_outside_the_allow_list_are_refused",
         f"{FORMAT}::test_dangerous_or_unsupported_extensions_are_refused_with_advice"],
    21: [f"{CATALOG}::test_hostile_file_name_is_stored_under_a_generated_name"],
    22: ["tests/dashboard/test_export.py::test_a_cell_never_starts_a_formula_and_only_gains_an_apostrophe",
         "tests/dashboard/test_export.py::test_imported_formula_names_stay_verbatim_in_the_db_and_are_neutralised_in_the_export",
         "tests/dashboard/test_export.py::test_a_student_named_like_a_formula_is_neutralised"],
    23: [f"{CATALOG}::test_script_in_a_title_is_escaped",
         "tests/matching/test_live.py::test_script_in_a_title_or_name_is_escaped_on_the_projector",
         "tests/courseproj/test_headers.py::test_every_page_has_csp_and_hsts_and_no_inline_script_or_style[student]"],
    24: [f"{CATALOG}::test_same_file_twice_is_one_dataset_and_one_job",
         f"{HTTP_UPLOADS}::test_row24_a_double_click_makes_one_dataset_and_one_job"],
    25: [f"{ACCOUNTS}::test_sixth_wrong_password_blocks_even_the_right_one"],
    26: [f"{ACCOUNTS}::test_unknown_email_reset_looks_like_a_known_one",
         f"{ACCOUNTS}::test_password_reset_is_rate_limited_per_address"],
    27: [f"{ACCOUNTS}::test_login_before_verification_is_sent_to_confirm_email"],
    28: [f"{ACCOUNTS}::test_a_class_behind_one_nat_address_can_log_in"],
    29: [f"{ACCOUNTS}::test_forged_forwarded_for_does_not_dodge_the_account_limit",
         f"{ACCOUNTS}::test_forged_forwarded_for_is_ignored_for_ip_limits",
         f"{ACCOUNTS}::test_only_the_configured_proxy_hop_is_trusted"],
    30: ["tests/courseproj/test_outsiders.py::test_outsider_gets_404",
         "tests/planner/test_plan_states.py::test_outsider_gets_404_for_a_plan",
         "tests/dashboard/test_export.py::test_students_and_outsiders_cannot_export"],
    31: [f"{ACCOUNTS}::test_post_without_csrf_token_is_refused", f"{ACCOUNTS}::test_too_many_form_fields_is_a_400"],
    32: [f"{INTERESTS}::test_database_refuses_the_same_dataset_twice",
         f"{INTERESTS}::test_two_tabs_adding_at_once_leave_one_row", f"{INTERESTS}::test_double_submit_is_a_friendly_no_op"],
    33: ["tests/matching/test_engine_properties.py::test_every_result_follows_the_rules_and_repeats_exactly",
         f"{ENGINE}::test_nobody_gives_an_empty_but_complete_result",
         f"{ENGINE}::test_a_single_student_is_alone_on_their_first_choice",
         f"{ENGINE}::test_an_odd_class_puts_the_third_student_in_a_circle_of_three",
         f"{ENGINE}::test_everyone_on_the_same_dataset_forms_one_circle",
         "tests/matching/test_runs.py::test_a_dataset_deleted_mid_session_blocks_publishing_with_a_clear_state",
         "tests/matching/test_runs.py::test_matching_with_nobody_ranked_is_an_empty_clear_state"],
    34: ["tests/drills/test_concurrent_picks.py::"
         "test_row34_sixty_students_submitting_in_the_same_second_get_no_5xx_and_lose_no_choice"],
    35: ["tests/browser/test_live.py::test_a_pick_on_a_phone_reaches_the_projector_and_survives_a_restart"],
    36: [f"{WORKERS}::test_row36_killed_pool_child_is_redelivered_and_the_job_profiled_once",
         f"{WORKERS}::test_row36_a_job_that_always_kills_its_child_is_failed_after_three_deliveries",
         f"{JOBS}::test_a_redelivered_message_takes_over_from_its_dead_run"],
    37: [f"{WORKERS}::test_row37_killed_worker_job_is_recovered_by_the_sweeper_and_the_page_says_retrying",
         f"{JOBS}::test_sweeper_revives_a_silent_running_job_and_sends_it"],
    38: [f"{BROKER}::test_row38_redis_restart_loses_queued_messages_and_the_sweeper_resends_them"],
    39: [f"{BROKER}::test_row39_frozen_redis_does_not_hang_the_view_and_the_job_is_sent_after_thaw",
         f"{JOBS}::test_unreachable_broker_leaves_the_job_pending_and_pauses_publishing",
         "tests/courseproj/test_outage_page.py::test_a_frozen_cache_on_the_login_form_is_a_503_not_a_hang"],
    40: [f"{BROKER}::test_row40_worker_keeps_consuming_after_a_redis_restart",
         f"{DATABASE}::test_row40_database_blip_mid_profile_is_retried_with_backoff",
         "tests/drills/test_database_outage.py::"
         "test_row40_web_serves_503_during_a_database_outage_and_both_web_and_worker_recover",
         "tests/courseproj/test_outage_page.py::test_a_view_that_loses_the_database_answers_503_and_the_next_request_recovers",
         "tests/courseproj/test_outage_page.py::test_a_session_that_cannot_be_read_is_a_503_page_too"],
    41: [f"{WORKERS}::test_row41_slow_file_hits_the_soft_time_limit_and_the_worker_lives_on",
         f"{JOBS}::test_sweeper_fails_a_dead_job_that_ran_past_the_hard_limit"],
    42: [f"{WORKERS}::test_row42_memory_blowup_hits_the_address_space_cap_and_the_worker_lives_on"],
    43: [f"{DATABASE}::test_row43_nothing_is_sent_for_a_rolled_back_upload_nor_before_commit",
         f"{JOBS}::test_nothing_is_sent_while_the_transaction_is_open"],
    44: [f"{DATABASE}::test_row44_repeated_failure_backs_off_then_fails_with_a_visible_reason",
         f"{JOBS}::test_retries_after_database_errors_do_not_count_as_crashes"],
}


def _defined_tests(path: Path) -> set[str]:
    """Test functions of a module, read from its source (pytest collects module-level test_* functions)."""
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")}


def _parametrized(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text())
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name)
    return any("parametrize" in ast.unparse(decorator) for decorator in function.decorator_list)


def test_every_row_of_reliability_md_has_at_least_one_named_test():
    assert sorted(INDEX) == list(ROWS)
    assert all(INDEX[row] for row in ROWS)


def test_the_index_names_each_row_of_the_shared_document():
    """When ../shared/RELIABILITY.md is beside the checkout, its rows are exactly 1-44."""
    document = ROOT.parent / "shared" / "RELIABILITY.md"
    if not document.exists():
        pytest.skip("../shared/RELIABILITY.md is not beside this checkout")
    numbers = [int(line.split("|")[1]) for line in document.read_text().splitlines()
               if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert numbers == list(ROWS)


@pytest.mark.parametrize("row", ROWS)
def test_every_test_named_for_the_row_exists(row):
    for node_id in INDEX[row]:
        file, _, name = node_id.partition("::")
        path = ROOT / file
        assert path.is_file(), f"row {row}: {file} does not exist"
        base, _, params = name.partition("[")
        assert base in _defined_tests(path), f"row {row}: {file} has no test {base}"
        if params:
            assert _parametrized(path, base), f"row {row}: {base} is not parametrized"
