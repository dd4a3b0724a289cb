"""A backend's detail view, distilled from its configuration and properties documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from tui.api.models import parse_timestamp


@dataclass(frozen=True)
class BackendDetail:
    name: str
    qubits: int
    basis_gates: tuple[str, ...]
    coupling_edges: int
    max_degree: int
    t1_median_us: float | None
    t2_median_us: float | None
    calibrated_at: datetime | None
    max_shots: int | None
    processor: str

    def lines(self) -> list[tuple[str, str]]:
        def us(value: float | None) -> str:
            return "—" if value is None else f"{value:.1f} µs"

        when = self.calibrated_at.astimezone().strftime("%Y-%m-%d %H:%M") if self.calibrated_at else "—"
        return [
            ("Backend", f"{self.name} · {self.qubits} qubits · {self.processor or '—'}"),
            ("Basis gates", ", ".join(self.basis_gates) or "—"),
            ("Coupling", f"{self.coupling_edges} directed edges, up to {self.max_degree} neighbours a qubit"),
            ("T1 / T2 median", f"{us(self.t1_median_us)} / {us(self.t2_median_us)}"),
            ("Calibrated", when),
            ("Max shots", str(self.max_shots) if self.max_shots else "—"),
        ]


def _qubit_medians(properties: dict[str, Any], name: str) -> float | None:
    values = [
        float(item["value"])
        for qubit in properties.get("qubits") or []
        for item in qubit
        if item.get("name") == name and isinstance(item.get("value"), (int, float))
    ]
    return median(values) if values else None


def backend_detail(configuration: dict[str, Any], properties: dict[str, Any] | None) -> BackendDetail:
    coupling = [tuple(edge) for edge in configuration.get("coupling_map") or [] if len(edge) == 2]
    neighbours: dict[int, set[int]] = {}
    for a, b in coupling:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    processor = configuration.get("processor_type") or {}
    properties = properties or {}
    return BackendDetail(
        name=str(configuration.get("backend_name", "")),
        qubits=int(configuration.get("n_qubits") or 0),
        basis_gates=tuple(str(gate) for gate in configuration.get("basis_gates") or ()),
        coupling_edges=len(coupling),
        max_degree=max((len(n) for n in neighbours.values()), default=0),
        t1_median_us=_qubit_medians(properties, "T1"),
        t2_median_us=_qubit_medians(properties, "T2"),
        calibrated_at=parse_timestamp(properties.get("last_update_date")),
        max_shots=configuration.get("max_shots"),
        processor=" ".join(str(processor.get(k, "")) for k in ("family", "revision")).strip(),
    )
