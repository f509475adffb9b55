"""Importing profiles from a CSV file into a profile database (module docs of
:mod:`.runner` and :mod:`.plan` say how)."""

from .csvfile import CsvFormat, ImportFileError, preview, sniff
from .mapping import auto_mapping, infer_type, key_for_column, normalized
from .plan import ImportPlan, describe_plan, plan_import
from .runner import (
    MERGING,
    NOT_IMPORTED,
    STAGING,
    ImportSummary,
    check_import,
    import_summary,
    prepare_import,
    rejects_file_problem,
    run_import,
    run_import_task,
    step_words,
)
from .spec import (
    DUPLICATES,
    IMPORT_LABEL,
    IMPORT_TYPE,
    MODES,
    ImportSpec,
    ImportSpecError,
    Subscribe,
)

__all__ = [
    "DUPLICATES",
    "IMPORT_LABEL",
    "IMPORT_TYPE",
    "MERGING",
    "MODES",
    "NOT_IMPORTED",
    "STAGING",
    "CsvFormat",
    "ImportFileError",
    "ImportPlan",
    "ImportSpec",
    "ImportSpecError",
    "ImportSummary",
    "Subscribe",
    "auto_mapping",
    "check_import",
    "describe_plan",
    "import_summary",
    "infer_type",
    "key_for_column",
    "normalized",
    "plan_import",
    "prepare_import",
    "preview",
    "rejects_file_problem",
    "run_import",
    "run_import_task",
    "sniff",
    "step_words",
]
