"""``rerankkit doctor``: the check an instructor runs on every laptop before a workshop.

One line per component (Python, torch and its GPU view, transformers, FlagEmbedding, the optional backends, the
test browser, fonts for the notebooks' ten languages, the caches and free disk, the default model's weights), and for every problem the command that fixes
it. Nothing is downloaded; FlagEmbedding is imported for real, since importing is what breaks.

Example:
    >>> from rerankkit.doctor import run_checks
    >>> findings = run_checks(model="tiny-random")
    >>> {f.name for f in findings} >= {"python", "torch", "flagembedding", "fonts", "model"}
    True
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from rerankkit._utils.cache import cache_root
from rerankkit._utils.environment import SETUP_FIX, import_flagembedding, installed_version, known_breaks
from rerankkit.errors import BrokenEnvironmentError, ModelUnavailableError
from rerankkit.models.families import TINY_PREFIX, tiny_builder
from rerankkit.models.files import problems
from rerankkit.models.hub import fetch_model, resolve_model_id
from rerankkit.models.synthetic import RANDOM_PREFIX, TINY_RANDOM

__all__ = ["Finding", "run_checks", "format_report", "exit_code"]

Status = Literal["ok", "warn", "fail"]
# The default model is about 2.3 GB; leave room for the kit's own builds and exports.
MIN_FREE_GB = 5.0
_LOCK = Path(__file__).resolve().parents[1] / "requirements" / "lock.txt"


@dataclass(frozen=True)
class Finding:
    """One line of the report.

    Attributes:
        name: What was checked (``torch``, ``flagembedding``, ``hf-cache``, ...).
        status: ``ok``, ``warn`` (works, but something is missing or unusual) or ``fail`` (needed and broken).
        detail: What was found.
        fix: The command that fixes it (empty when nothing needs fixing).
    """

    name: str
    status: Status
    detail: str
    fix: str = ""


def _python() -> Finding:
    version = platform.python_version()
    locked = re.search(r"on Python (\d+\.\d+)", _LOCK.read_text()) if _LOCK.is_file() else None
    if locked and not version.startswith(locked[1] + "."):
        return Finding("python", "warn", f"Python {version}; the tested versions were locked on Python {locked[1]}",
                       f"use Python {locked[1]} for the tested set-up")
    return Finding("python", "ok", f"Python {version} ({sys.executable})")


def _torch() -> Finding:
    try:
        import torch
    except Exception as exc:  # a broken install can fail with any exception
        return Finding("torch", "fail", f"torch cannot be imported ({type(exc).__name__}: {exc})",
                       'pip install "torch==2.13.0", or ' + SETUP_FIX)
    if torch.cuda.is_available():
        gpu = f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s): {torch.cuda.get_device_name(0)}"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        gpu = "Apple MPS available"
    else:
        gpu = f"no GPU visible (CPU only{', CUDA build' if torch.version.cuda else ''}); the notebooks run on CPU"
    return Finding("torch", "ok", f"torch {torch.__version__}, {gpu}, {torch.get_num_threads()} threads")


def _transformers() -> Finding:
    version = installed_version("transformers")
    if version is None:
        return Finding("transformers", "fail", "transformers is not installed", SETUP_FIX)
    return Finding("transformers", "ok", f"transformers {version}")


def _flagembedding() -> list[Finding]:
    versions = {name: installed_version(name) for name in ("transformers", "flagembedding")}
    found = [Finding("known-break", "fail", b.message(versions), f'pip install "{b.fix}"') for b in known_breaks()]
    try:
        import_flagembedding()
    except BrokenEnvironmentError as exc:
        fix = found[0].fix if found else SETUP_FIX
        # The known break, when there is one, has its own line below: say it once.
        detail = str(exc).split(" Known break:")[0].split(" `rerankkit doctor`")[0]
        return [Finding("flagembedding", "fail", detail, fix), *found]
    return [Finding("flagembedding", "ok", f"FlagEmbedding {installed_version('flagembedding')} imports"), *found]


def _lock_drift() -> Finding | None:
    if not _LOCK.is_file():
        return None
    differ = []
    for line in _LOCK.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line.strip())
        if match and installed_version(match[1]) != match[2]:
            differ.append(f"{match[1]} {installed_version(match[1]) or 'missing'} (locked {match[2]})")
    if not differ:
        return Finding("lock", "ok", f"every package matches {_LOCK.relative_to(_LOCK.parents[1])}")
    shown = ", ".join(differ[:5]) + (f" and {len(differ) - 5} more" if len(differ) > 5 else "")
    return Finding("lock", "warn", f"{len(differ)} package(s) differ from the tested lock: {shown}", SETUP_FIX)


# name, import name, what it is for, the extra that installs it (None: a core dependency), needed for the notebooks?
_OPTIONAL: tuple[tuple[str, str, str, str | None, bool], ...] = (
    ("jupyterlab", "jupyterlab", "the notebooks", "lab", True),
    ("ipywidgets", "ipywidgets", "the notebooks' widgets", None, True),
    ("captum", "captum", "word attributions (notebook 06)", None, True),
    ("bm25s", "bm25s", "BM25 retrieval (notebooks 04, 10)", None, True),
    ("ir-measures", "ir_measures", "metrics (notebook 04)", None, True),
    ("sentence-transformers", "sentence_transformers", "CrossEncoder comparisons and benchmarks", "bench", False),
    ("onnxruntime", "onnxruntime", "int8 on CPU (ONNX Runtime backend)", "onnx", False),
    ("openvino", "openvino", "int8 on CPU (OpenVINO backend)", "openvino", False),
    ("bertviz", "bertviz", "the attention view (notebook 06)", "attention", False),
    ("playwright", "playwright", "the real-browser tests", "test", False),
)


def _optional() -> list[Finding]:
    import importlib.util

    found = []
    for name, module, what, extra, needed in _OPTIONAL:
        version = installed_version(name)
        if version is not None and importlib.util.find_spec(module) is not None:
            found.append(Finding(name, "ok", f"{name} {version}: {what}"))
        else:
            fix = f'pip install "rerankkit[{extra}]"' if extra else SETUP_FIX
            found.append(Finding(name, "fail" if needed else "warn", f"{name} is not installed: needed for {what}", fix))
    if installed_version("playwright") is not None:
        chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
        found.append(Finding("chromium", "ok", f"Chromium at {chromium}: the real-browser tests run") if chromium else
                     Finding("chromium", "warn", "no Chromium: the real-browser tests are skipped",
                             "apt-get install chromium (Debian/Ubuntu), or scripts/ensure-chromium"))
    return found


# Scripts of the cross-lingual set that a default desktop may lack fonts for, and a font family that covers each.
FONT_SCRIPTS = {"Chinese, Japanese, Korean": "Noto Sans CJK", "Hindi (Devanagari)": "Noto Sans Devanagari",
                "Arabic": "Noto Sans Arabic"}
FONT_FIX = "apt-get install fonts-noto-cjk fonts-noto-core (Debian/Ubuntu), or scripts/ensure-chromium"


def _fonts() -> Finding:
    """Fonts for the ten languages of the notebooks (else their text shows as boxes in the browser and screenshots)."""
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Finding("fonts", "warn", "fc-list (fontconfig) not found: cannot check fonts for the CJK, Devanagari "
                       "and Arabic text of the notebooks", FONT_FIX)
    try:
        families = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Finding("fonts", "warn", f"fc-list failed ({exc})", FONT_FIX)
    missing = [script for script, family in FONT_SCRIPTS.items() if family.lower() not in families.lower()]
    if missing:
        return Finding("fonts", "warn", f"no font for {', '.join(missing)}: that text shows as boxes in the browser "
                       "and in the browser-test screenshots", FONT_FIX)
    return Finding("fonts", "ok", "fonts for Chinese, Japanese, Korean, Hindi and Arabic text are installed")


def _disk(name: str, folder: Path) -> Finding:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free_gb = shutil.disk_usage(probe).free / 2**30
    writable = os.access(probe, os.W_OK)
    detail = f"{folder} ({'exists' if folder.exists() else 'not created yet'}), {free_gb:.1f} GB free"
    if not writable:
        return Finding(name, "fail", detail + ", not writable", f"make {probe} writable, or point the cache elsewhere")
    if free_gb < MIN_FREE_GB:
        return Finding(name, "warn", detail + f"; the default model needs about 2.3 GB, keep {MIN_FREE_GB:.0f} GB free",
                       "free disk space")
    return Finding(name, "ok", detail)


def _caches() -> list[Finding]:
    from huggingface_hub import constants

    return [_disk("hf-cache", Path(constants.HF_HUB_CACHE)), _disk("rerankkit-cache", cache_root())]


def _model(model: str | None) -> Finding:
    spec = resolve_model_id(model)
    if spec.startswith(TINY_PREFIX):
        try:
            tiny_builder(spec)
        except ValueError as exc:
            return Finding("model", "fail", str(exc), "rerankkit models lists what tiny-random:<hub id> builds")
    if spec == TINY_RANDOM or spec.startswith((RANDOM_PREFIX, TINY_PREFIX)):
        return Finding("model", "ok", f"{spec}: built locally on first use (random weights)")
    if Path(spec).expanduser().is_dir():
        found = problems(Path(spec).expanduser())
        return Finding("model", "fail", f"{spec}: {'; '.join(found)}", "point model at a complete folder") if found \
            else Finding("model", "ok", f"{spec}: a whole local folder")
    try:
        folder = fetch_model(spec, download=False)
    except ModelUnavailableError as exc:
        damaged = "damaged" in str(exc)
        return Finding("model", "fail" if damaged else "warn",
                       f"{spec}: {'damaged in the cache' if damaged else 'not in the Hugging Face cache'}",
                       f"rerankkit download --model {spec}" + (" --force" if damaged else ""))
    return Finding("model", "ok", f"{spec}: whole in the cache at {folder}")


def run_checks(model: str | None = None) -> list[Finding]:
    """Check this environment; ``model`` is the model to look for (default: ``$RERANKKIT_MODEL`` or the default)."""
    findings = [_python(), _torch(), _transformers(), *_flagembedding()]
    drift = _lock_drift()
    if drift is not None:
        findings.append(drift)
    findings += _optional()
    findings.append(_fonts())
    findings += _caches()
    try:
        findings.append(_model(model))
    except Exception as exc:  # the report must finish even when this check cannot run
        findings.append(Finding("model", "fail", f"could not check ({type(exc).__name__}: {exc})", SETUP_FIX))
    return findings


def format_report(findings: Sequence[Finding]) -> str:
    """The report as text: one line per finding, its fix indented below, a verdict last."""
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = []
    for f in findings:
        lines.append(f"[{marks[f.status]}] {f.name:<22} {f.detail}")
        if f.fix and f.status != "ok":
            lines.append(f"       {'':<22} fix: {f.fix}")
    failed = [f.name for f in findings if f.status == "fail"]
    warned = [f.name for f in findings if f.status == "warn"]
    lines.append(f"\n{'NOT READY: ' + ', '.join(failed) + ' need fixing' if failed else 'READY'}"
                 + (f" ({len(warned)} warning(s): {', '.join(warned)})" if warned else ""))
    return "\n".join(lines)


def exit_code(findings: Sequence[Finding]) -> int:
    """1 when something needed is broken, else 0."""
    return int(any(f.status == "fail" for f in findings))


def to_json(findings: Sequence[Finding]) -> str:
    """The findings as JSON, for scripts that check many machines."""
    return json.dumps({"ready": not exit_code(findings), "findings": [asdict(f) for f in findings]}, indent=2)
