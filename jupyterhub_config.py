"""DTaaS on JupyterHub: ``jupyterhub -f jupyterhub_config.py``.

The profile comes from ``DTAAS_PROFILE`` (local by default); see hub_config/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_config import configure  # noqa: E402
from hub_config.errors import SettingsError  # noqa: E402

c = get_config()  # noqa: F821
try:
    configure(c)
except SettingsError as e:
    # one line naming the variable at fault, not a traceback
    sys.exit(f"dtaas: {e}")
