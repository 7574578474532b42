"""Scene bundles from developers: unpacking and strict validation, before anything is stored.

No Flask and no database here: the API stages the upload into a scratch folder, calls
:func:`validate_bundle`, and stores what comes back only when it passed.
"""

from ar_service.bundles.archive import StagedFile, stage_parts, stage_zip
from ar_service.bundles.limits import BundleLimits
from ar_service.bundles.problems import BundleInvalid, Problem
from ar_service.bundles.scene import scene_schema
from ar_service.bundles.validate import UPLOAD_PREFIX, Bundle, ModelFiles, Narration, validate_bundle

__all__ = [
    "UPLOAD_PREFIX",
    "Bundle",
    "BundleInvalid",
    "BundleLimits",
    "ModelFiles",
    "Narration",
    "Problem",
    "StagedFile",
    "scene_schema",
    "stage_parts",
    "stage_zip",
    "validate_bundle",
]
