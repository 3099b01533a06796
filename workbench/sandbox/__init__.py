"""The sandbox district: a synthetic K-12 district written as a PowerSchool extract or OneRoster package.

    from workbench.sandbox import generate_district
    summary = generate_district("demo", students=2000, seed=1)               # PowerSchool tables
    generate_district("demo-or", students=2000, seed=1, fmt="oneroster")    # the same district

Every run writes ``truth.json`` next to the files: the injected defects in canonical IDs (the keys
are documented in ``workbench.sandbox.truth``).
"""

from workbench.sandbox.generate import generate_district
from workbench.sandbox.notebook import NotebookSettings, fresh_sandbox, notebook_settings
from workbench.sandbox.truth import TRUTH_KEYS

__all__ = ["TRUTH_KEYS", "NotebookSettings", "fresh_sandbox", "generate_district", "notebook_settings"]
