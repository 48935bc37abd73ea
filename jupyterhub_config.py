"""DTaaS on JupyterHub: ``jupyterhub -f jupyterhub_config.py``.

The profile comes from ``DTAAS_PROFILE`` (local by default); see hub_config/.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_config import configure  # noqa: E402

c = get_config()  # noqa: F821
configure(c)
