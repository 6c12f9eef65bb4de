#!/usr/bin/env bash
# Sourced by scripts/test.sh before ctest: fixtures some tests need, stopped by test.sh's EXIT trap.
#
# Local Slurm for the cluster tests (tests/cli/test_batch.cpp, tag [slurm]): started when Slurm is
# installed (scripts/setup.sh installs slurm-wlm munge) and we are root; stopped on exit unless it
# was already up before. CW_REQUIRE_SLURM=1 makes those tests fail, not skip, if it is not up.
if command -v sbatch >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  cw_slurm_script="$(pwd)/scripts/slurm-local.sh"
  if "$cw_slurm_script" status >/dev/null 2>&1; then
    echo "test-hooks: local Slurm already up; leaving it running" >&2
    export CW_REQUIRE_SLURM=1
  elif "$cw_slurm_script" start; then
    export CW_REQUIRE_SLURM=1
    # Chain onto the existing cleanup so other hooks keep working.
    eval "cw_cleanup_before_slurm() $(declare -f cleanup | tail -n +2)"
    cleanup() {
      "$cw_slurm_script" stop || true
      cw_cleanup_before_slurm
    }
  else
    echo "test-hooks: local Slurm did not start; the [slurm] tests will skip" >&2
    "$cw_slurm_script" stop || true
  fi
fi

# Reviewer viewer (tests/viewer/review.test.mjs, run by ctest): Leaflet and playwright-core from
# viewer/package-lock.json; the browser is Debian's chromium from scripts/setup.sh.
scripts/viewer-setup.sh || echo "test-hooks: viewer-setup failed; the viewer browser test will fail" >&2
