"""SubmitModal: how to run the transpiled circuit (which program and how, from
`tui.programs`; shots or observables, parameters, twirling and dynamical decoupling;
alone, in a session or in a batch)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from tui.programs import SubmitWay, submit_way, submit_ways
from tui.submission import (
    SubmitFormError,
    SubmitRequest,
    parse_observables,
    parse_parameter_values,
    parse_precision,
    parse_shots,
)

JOIN_PREFIX = "join:"


class SubmitModal(ModalScreen[SubmitRequest | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", id="submit.confirm"),
        Binding("escape", "dismiss(None)", "Cancel", id="submit.cancel"),
    ]

    def __init__(
        self,
        backend: str,
        num_qubits: int,
        num_parameters: int,
        open_sessions: list[tuple[str, str]],
        last: SubmitRequest | None = None,
        max_shots: int | None = None,
        parameter_names: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.max_shots = max_shots
        self.parameter_names = parameter_names
        self.backend = backend
        self.num_qubits = num_qubits
        self.num_parameters = num_parameters
        self.open_sessions = open_sessions  # (id, mode) on this backend, accepting jobs
        self.last = last or SubmitRequest()

    def _parameters_hint(self) -> str:
        """The names in the order values are bound, so `0.1, 0.2` means what it says."""
        if not self.num_parameters:
            return "none"
        if self.parameter_names:
            names = ", ".join(self.parameter_names)
            example = ", ".join(f"{name}=0.1" for name in self.parameter_names[:2])
            return f"{names}: values in this order, or {example}"
        return f"{self.num_parameters} values, e.g. 0.1, 0.2"

    def _last_run(self, modes: list[tuple[str, str]]) -> str:
        """How the last job ran, if it can run that way again: a session that has closed
        since is no longer offered, so the dialog starts on "alone" instead."""
        wanted = f"{JOIN_PREFIX}{self.last.session_id}" if self.last.session_id else self.last.mode
        return wanted if wanted in {value for _, value in modes} else "job"

    def compose(self) -> ComposeResult:
        last = self.last
        modes = [("alone", "job"), ("in a new session (dedicated)", "session"), ("in a new batch", "batch")]
        modes += [(f"join {mode} {sid}", f"{JOIN_PREFIX}{sid}") for sid, mode in self.open_sessions]
        with Vertical(id="submit-box", classes="dialog"):
            yield Static(f"Submit to [b]{self.backend}[/b]", id="submit-title")
            with Horizontal(classes="field"):
                yield Label("Program")
                yield Select(compact=True, options=[(way.label, way.key) for way in submit_ways()],
                             value=submit_way(last.way).key, allow_blank=False, id="submit-program")
            yield Static("", id="submit-program-note")
            with Horizontal(classes="field sampler-only"):
                yield Label("Shots")
                yield Input(compact=True, value=str(last.shots), id="submit-shots",
                            placeholder=f"at most {self.max_shots:,}" if self.max_shots else "")
            with Horizontal(classes="field estimator-only"):
                yield Label("Observables")
                yield Input(compact=True, value=", ".join(last.observables) or "Z" * self.num_qubits,
                            placeholder="ZZ, XX (rightmost letter is qubit 0)", id="submit-observables")
            with Horizontal(classes="field estimator-only"):
                yield Label("Precision")
                yield Input(compact=True, value="" if last.precision is None else str(last.precision),
                            placeholder="default 0.015", id="submit-precision")
            with Horizontal(classes="field"):
                yield Label("Parameters")
                yield Input(compact=True, value="", placeholder=self._parameters_hint(),
                            id="submit-parameters", disabled=not self.num_parameters)
            with Horizontal(classes="field"):
                yield Label("Run")
                yield Select(compact=True, options=modes, value=self._last_run(modes), allow_blank=False, id="submit-mode")
            with Horizontal(classes="field"):
                yield Checkbox("Twirling", last.twirling, id="submit-twirling")
                yield Checkbox("Dynamical decoupling", last.dynamical_decoupling, id="submit-dd")
            yield Static("", id="submit-error")
            yield Static("[b]Ctrl+S[/b] submit   [b]Esc[/b] cancel   [b]Tab[/b] next field", id="submit-keys")

    def on_mount(self) -> None:
        self._show_program_fields()
        self.query_one("#submit-program", Select).focus()

    def _way(self) -> SubmitWay:
        return submit_way(str(self.query_one("#submit-program", Select).value))

    @on(Select.Changed, "#submit-program")
    def _show_program_fields(self) -> None:
        way = self._way()
        estimator = way.measures_observables
        self.query_one("#submit-program-note", Static).update(f"runs as {way.note}")
        decoupling = self.query_one("#submit-dd", Checkbox)
        decoupling.disabled = not way.offers_decoupling
        if decoupling.disabled:
            decoupling.value = False
        for widget in self.query(".sampler-only"):
            widget.display = not estimator
        for widget in self.query(".estimator-only"):
            widget.display = estimator

    @on(Input.Submitted)
    def action_submit(self) -> None:
        try:
            request = self._read_form()
        except SubmitFormError as exc:
            self.query_one("#submit-error", Static).update(f"✗ {exc}")
            return
        self.dismiss(request)

    def _read_form(self) -> SubmitRequest:
        def text(widget_id: str) -> str:
            return self.query_one(widget_id, Input).value

        way = self._way()
        mode = str(self.query_one("#submit-mode", Select).value)
        estimator = way.measures_observables
        return SubmitRequest(
            way=way.key,
            shots=self.last.shots if estimator else parse_shots(text("#submit-shots"), self.max_shots),
            precision=parse_precision(text("#submit-precision")) if estimator else None,
            parameter_values=parse_parameter_values(text("#submit-parameters"), self.num_parameters,
                                                    self.parameter_names),
            observables=parse_observables(text("#submit-observables"), self.num_qubits) if estimator else (),
            twirling=self.query_one("#submit-twirling", Checkbox).value,
            dynamical_decoupling=self.query_one("#submit-dd", Checkbox).value,
            mode="job" if mode.startswith(JOIN_PREFIX) else mode,  # type: ignore[arg-type]
            session_id=mode.removeprefix(JOIN_PREFIX) if mode.startswith(JOIN_PREFIX) else None,
        )
