"""Peak memory of a child process, for the hostile suite's memory tests.

``ru_maxrss`` is not used: after fork+exec it keeps the forking parent's resident
size (a large pytest process), which would inflate or mask what the child used.
``VmHWM`` is the child's own high-water mark.
"""

from __future__ import annotations

import resource


def peak_rss_bytes() -> int:
    """This process's peak resident set size in bytes (VmHWM; ru_maxrss off Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
