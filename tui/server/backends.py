"""The local service's catalogue of devices: the snapshots shipped in qiskit-ibm-runtime.

Files are located without importing qiskit_ibm_runtime (importing it costs seconds) and are
parsed lazily, so that the service answers `/versions` the moment it listens.
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

TWO_QUBIT_GATES = frozenset({"cx", "ecr", "cz", "rzz"})


def snapshots_dir() -> Path:
    spec = importlib.util.find_spec("qiskit_ibm_runtime")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("qiskit-ibm-runtime is not installed; it ships the device snapshots")
    return Path(next(iter(spec.submodule_search_locations))) / "fake_provider" / "backends"


@dataclass
class DeviceSnapshot:
    """One device: its configuration and calibration files, read on first use."""

    directory: Path
    conf_file: Path
    props_file: Path | None
    alias: str | None = None  # a mock backend's name: the same device, served for dry runs
    twin: DeviceSnapshot | None = None  # a mock's device, whose parsed files it shares

    @cached_property
    def configuration(self) -> dict[str, Any]:
        if self.twin is not None:
            return {**self.twin.configuration, "backend_name": self.alias}
        configuration = json.loads(self.conf_file.read_text())
        features = list(configuration.get("supported_features") or [])
        if "if_else" in (configuration.get("supported_instructions") or []) and "dynamic_circuits" not in features:
            # What IBM's live configurations say of a device that runs if_else (the snapshots
            # predate the flag), and what `backends(dynamic_circuits=True)` filters on.
            configuration["supported_features"] = [*features, "dynamic_circuits"]
        _add_fractional_gates(configuration, self.fractional_rzz_pairs)
        return {**configuration, "backend_name": self.alias} if self.alias else configuration

    @cached_property
    def fractional_rzz_pairs(self) -> list[list[int]]:
        """The pairs on which the calibration offers `rzz`; none on pre-Heron devices."""
        if self.twin is not None:
            return self.twin.fractional_rzz_pairs
        properties = self.properties or {}
        return [list(gate["qubits"]) for gate in properties.get("gates", []) if gate.get("gate") == "rzz"]

    @cached_property
    def properties(self) -> dict[str, Any] | None:
        if self.props_file is None:
            return None
        if self.twin is not None:
            twin_properties = self.twin.properties
            return None if twin_properties is None else {**twin_properties, "backend_name": self.alias}
        return _without_unoffered_rzz(json.loads(self.props_file.read_text()))

    @property
    def is_mock(self) -> bool:
        return self.alias is not None

    @property
    def name(self) -> str:
        return str(self.configuration["backend_name"])

    @property
    def num_qubits(self) -> int:
        return int(self.configuration["n_qubits"])

    @property
    def basis_gates(self) -> list[str]:
        return list(self.configuration.get("basis_gates", []))

    @cached_property
    def instruction_names(self) -> frozenset[str]:
        """Everything a circuit for this device may contain (ISA)."""
        conf = self.configuration
        supported = set(conf.get("supported_instructions") or []) | set(self.basis_gates)
        return frozenset(supported | {"measure", "barrier", "delay", "reset"})

    @cached_property
    def two_qubit_gate_edges(self) -> dict[str, frozenset[tuple[int, int]]]:
        by_gate: dict[str, set[tuple[int, int]]] = {}
        for gate in self.configuration.get("gates", []):
            name = gate.get("name")
            if name in TWO_QUBIT_GATES:
                pairs = gate.get("coupling_map") or self.configuration.get("coupling_map") or []
                by_gate.setdefault(name, set()).update(tuple(p) for p in pairs)
        return {name: frozenset(pairs) for name, pairs in by_gate.items()}

    @cached_property
    def performance_metrics(self) -> dict[str, Any]:
        props = self.properties
        if not props:
            return {}
        two_q_errors = [
            param["value"]
            for gate in props.get("gates", [])
            if gate.get("gate") in TWO_QUBIT_GATES
            for param in gate.get("parameters", [])
            if param.get("name") == "gate_error" and param.get("value", 1) < 1
        ]
        readout_errors = [
            item["value"]
            for qubit in props.get("qubits", [])
            for item in qubit
            if item.get("name") == "readout_error"
        ]
        metrics: dict[str, Any] = {}
        if two_q_errors:
            metrics["two_q_error_median"] = {"value": statistics.median(two_q_errors)}
            metrics["two_q_error_best"] = {"value": min(two_q_errors)}
        if readout_errors:
            metrics["readout_error_median"] = {"value": statistics.median(readout_errors)}
        return metrics

    def static_summary(self) -> dict[str, Any]:
        """What the backends listing says of the device that never changes (see Catalogue)."""
        conf = self.configuration
        processor = conf.get("processor_type") or {}
        summary: dict[str, Any] = {
            "name": self.name,
            "status": {"name": "online", "reason": "available"},
            "is_simulator": False,
            "qubits": self.num_qubits,
            "processor_type": {
                "family": str(processor.get("family", "")),
                "revision": str(processor.get("revision", "")),
            },
            "performance_metrics": self.performance_metrics,
        }
        clops = conf.get("clops_h") or conf.get("clops")
        if isinstance(clops, (int, float)):
            summary["clops"] = {"type": "hardware", "value": clops}
        return summary


FRACTIONAL_GATES = ("rx", "rzz")


def _without_unoffered_rzz(properties: dict[str, Any]) -> dict[str, Any]:
    """The calibration without the `rzz` entries whose error is 1: the snapshots carry
    those for pairs where the gate is not offered, and a Target built from them would
    route `rzz` onto pairs the device does not run it on."""
    def offered(gate: dict[str, Any]) -> bool:
        return gate.get("gate") != "rzz" or any(
            p.get("name") == "gate_error" and p.get("value", 1) < 1 for p in gate.get("parameters", [])
        )

    gates = properties.get("gates")
    if isinstance(gates, list):
        properties["gates"] = [gate for gate in gates if offered(gate)]
    return properties


def _add_fractional_gates(configuration: dict[str, Any], rzz_pairs: list[list[int]]) -> None:
    """What IBM's live configuration says of a device with fractional gates (Heron): `rx`
    and `rzz` among its instructions, `rzz` on its calibrated pairs. The official client
    leaves them out of the Target unless `use_fractional_gates=True`, as IBM's does."""
    if not rzz_pairs:
        return
    for key in ("basis_gates", "supported_instructions"):
        names = list(configuration.get(key) or [])
        configuration[key] = names + [name for name in FRACTIONAL_GATES if name not in names]
    gates = list(configuration.get("gates") or [])
    known = {gate.get("name") for gate in gates}
    if "rx" not in known:
        gates.append({"name": "rx", "parameters": ["theta"], "qasm_def": "gate rx(theta) q { U(theta, -pi/2, pi/2) q; }",
                      "coupling_map": [[q] for q in range(int(configuration["n_qubits"]))]})
    if "rzz" not in known:
        gates.append({"name": "rzz", "parameters": ["theta"], "qasm_def": "gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }",
                      "coupling_map": rzz_pairs})
    configuration["gates"] = gates


def mock_name(name: str) -> str:
    """The mock backend IBM serves dry runs on for a device, as the official client names it
    (`ibm_torino` -> `mock_torino`): the same device, whose jobs are validated and timed
    but return random data of the right shapes."""
    return re.sub(r"^[^_]+", "mock", name)


def device_summary(static: dict[str, Any], queue_length: int, with_wait_time: bool) -> dict[str, Any]:
    summary = {**static, "queue_length": queue_length}
    if with_wait_time:
        summary["wait_time_seconds"] = {
            "average": queue_length * 2.0, "p50": queue_length * 2.0, "p95": queue_length * 4.0,
        }
    return summary


def user_cache_dir() -> Path:
    """qrt's cache (platformdirs), shared by every data dir: the device catalogue is the
    same for all of them."""
    from platformdirs import user_cache_path

    return user_cache_path("qrt", appauthor=False)


class Catalogue:
    """Every device snapshot, by the name IBM serves it under (e.g. `ibm_brisbane`).

    The listing's summaries need every snapshot's configuration and calibration parsed
    (14 MB of JSON: 0.2-0.7 s, which the first `GET /backends` of a fresh service paid).
    They never change for an installed qiskit-ibm-runtime, so they are kept in the user's
    cache dir under that version (any data dir, any service reuses them), and built in
    the background at start when missing.
    """

    def __init__(self, root: Path | None = None, cache_dir: Path | None = None) -> None:
        self._root = root
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._devices: dict[str, DeviceSnapshot] | None = None
        self._summaries: dict[str, dict[str, Any]] | None = None

    def _cache_file(self) -> Path | None:
        if self._cache_dir is None:
            return None
        from importlib.metadata import version

        return self._cache_dir / f"catalogue-2-qiskit-ibm-runtime-{version('qiskit-ibm-runtime')}.json"

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Each device's static summary, by name, sorted by name."""
        with self._lock:
            if self._summaries is None:
                self._summaries = self._load_summaries()
            return self._summaries

    def _load_summaries(self) -> dict[str, dict[str, Any]]:
        cache = self._cache_file()
        if cache is not None and cache.is_file():
            try:
                cached = json.loads(cache.read_text())
                if isinstance(cached, dict) and cached:
                    return cached
            except (OSError, ValueError):
                pass  # rebuilt below
        devices = self._devices_unlocked()
        built: dict[str, dict[str, Any]] = {}
        for name in sorted(devices, key=lambda name: devices[name].twin is not None):  # the twins first
            twin = devices[name].twin
            built[name] = {**built[twin.name], "name": name} if twin is not None else devices[name].static_summary()
        built = dict(sorted(built.items()))
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                partial = cache.with_suffix(".partial")
                partial.write_text(json.dumps(built))
                partial.replace(cache)
            except OSError:
                pass  # a read-only or full disk: served from memory all the same
        return built

    def warm(self) -> None:
        threading.Thread(target=self.summaries, name="qrt-catalogue", daemon=True).start()

    @property
    def devices(self) -> dict[str, DeviceSnapshot]:
        with self._lock:
            return self._devices_unlocked()

    def _devices_unlocked(self) -> dict[str, DeviceSnapshot]:
        if self._devices is None:
            self._devices = self._scan(self._root or snapshots_dir())
        return self._devices

    @staticmethod
    def _scan(root: Path) -> dict[str, DeviceSnapshot]:
        devices: dict[str, DeviceSnapshot] = {}
        for conf_file in sorted(root.glob("*/conf_*.json")):
            props = conf_file.with_name(conf_file.name.replace("conf_", "props_", 1))
            snapshot = DeviceSnapshot(conf_file.parent, conf_file, props if props.exists() else None)
            devices.setdefault(snapshot.name, snapshot)
        for name, snapshot in list(devices.items()):
            if name.startswith("ibm_"):
                mock = mock_name(name)
                devices.setdefault(
                    mock, DeviceSnapshot(snapshot.directory, snapshot.conf_file, snapshot.props_file, mock, snapshot)
                )
        return devices

    def get(self, name: str) -> DeviceSnapshot | None:
        return self.devices.get(name)

    def names(self) -> list[str]:
        return sorted(self.devices)
