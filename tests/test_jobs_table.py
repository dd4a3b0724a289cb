"""JobsTable on its own: rows reconciled by id, the cursor kept, the compact layout at 80 columns."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from textual.app import App, ComposeResult

from screens.widgets.jobs_table import JobsTable
from tui.api.models import Job, JobStatus

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def job(number: int, status: JobStatus = JobStatus.RUNNING) -> Job:
    return Job(f"d1f3k0job{number:011d}", "ibm_fez", "sampler", status, NOW - timedelta(minutes=number),
               session_id="s-session-long-id", tags=("calibration",))


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield JobsTable(clock=lambda: NOW, id="jobs")


def labels(table: JobsTable) -> list[str]:
    return [str(column.label) for column in table.ordered_columns]


async def test_the_cursor_stays_on_its_job_while_rows_come_and_change() -> None:
    app = TableApp()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobsTable)
        table.reconcile([job(1), job(2), job(3)])
        table.move_cursor(row=1)
        assert table.selected_job_id == job(2).id
        table.reconcile([job(0), job(1), replace(job(2), status=JobStatus.COMPLETED), job(3)])
        await pilot.pause()
        assert table.selected_job_id == job(2).id and table.cursor_row == 2
        assert table.get_cell(job(2).id, "status").plain == "Completed"
        table.reconcile([job(0), job(2)])
        assert table.selected_job_id == job(2).id and table.row_count == 2


async def test_at_80_columns_the_table_goes_compact_and_back() -> None:
    app = TableApp()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobsTable)
        table.reconcile([job(1), job(2), job(3)])
        table.move_cursor(row=2)
        assert "Tags" in labels(table) and table.get_cell(job(1).id, "created") == "11:59:00"

        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert table.compact and "Tags" not in labels(table)
        assert table.selected_job_id == job(3).id
        assert [str(key.value) for key in table._row_order()] == [job(n).id for n in (1, 2, 3)]
        assert table.get_cell(job(1).id, "created") == "11:59"
        assert table.get_cell(job(1).id, "id").plain == job(1).id  # cut on screen only
        assert sum(column.get_render_width(table) for column in table.ordered_columns) <= 78

        await pilot.resize_terminal(140, 24)
        await pilot.pause()
        assert not table.compact and "Tags" in labels(table) and table.row_count == 3


async def test_at_80_columns_a_status_that_grows_is_shown_whole_and_ids_take_the_room_left() -> None:
    """A job seen Running then Completed read "Complet" (the column kept its first width),
    and compact ids were cut to 10 characters with columns to spare."""
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(JobsTable)
        table.reconcile([job(1)])
        await pilot.pause()
        table.reconcile([replace(job(1), status=JobStatus.COMPLETED, session_id=None)])
        await pilot.pause()
        columns = {str(key.value): column for key, column in table.columns.items()}
        assert columns["status"].get_render_width(table) - 2 * table.cell_padding >= len("Completed")
        used = sum(column.get_render_width(table) for column in table.ordered_columns)
        assert columns["id"].width > 11 and used <= table.scrollable_content_region.width
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        assert columns["id"].width == len(job(1).id)  # whole, where the width allows


async def test_the_same_jobs_in_a_new_order_are_shown_in_that_order() -> None:
    """Sorting (s) once changed the title but not the rows: no row came or went."""
    app = TableApp()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(JobsTable)
        queued, running = job(1, JobStatus.QUEUED), job(2, JobStatus.RUNNING)
        table.reconcile([queued, running])
        table.reconcile([running, queued])
        await pilot.pause()
        assert [str(key.value) for key in table._row_order()] == [running.id, queued.id]


async def test_the_jobs_screen_sorts_by_a_clicked_column_and_reverses() -> None:
    """Reverse sort (S) and sort by column (a header click; a second click reverses), as
    k9s and lazygit users expect."""
    from textual.widgets import DataTable

    from tests.helpers.pilot import FAST_POLLING, never_connects
    from tui.app import QrtApp
    from tui.monitor import JobsSnapshot

    jobs = (replace(job(1), backend="ibm_torino"), replace(job(2), status=JobStatus.QUEUED), job(3))
    app = QrtApp(never_connects, FAST_POLLING)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("f4")
        app.jobs_snapshot = JobsSnapshot(jobs, total=3, fetched_at=NOW)
        await pilot.pause()
        table = app.screen.query_one(JobsTable)

        def order() -> list[str]:
            return [str(row.key.value)[-1] for row in table.ordered_rows]

        assert order() == ["1", "2", "3"]  # newest first
        await pilot.press("S")
        assert order() == ["3", "2", "1"] and "sorted by newest (reversed)" in str(table.border_title)

        def click(column: str) -> None:
            index = [str(key.value) for key in table.columns].index(column)
            key = list(table.columns)[index]
            table.post_message(DataTable.HeaderSelected(table, key, index, table.columns[key].label))

        click("backend")
        await pilot.pause()
        assert order() == ["2", "3", "1"]  # ibm_fez, ibm_fez (newest first among equals), ibm_torino
        click("backend")
        await pilot.pause()
        assert order() == ["1", "3", "2"] and "sorted by backend (reversed)" in str(table.border_title)
        await pilot.press("s")  # the next of the usual orders, unreversed
        assert order() == ["1", "3", "2"] and "sorted by status" in str(table.border_title)  # running, then queued
