import subprocess
import sys

from course_utils import doctor


def test_report_names_versions_gpu_and_data():
    info = doctor.report()
    assert info["versions"]["numpy"] and info["versions"]["torch"]
    assert info["missing_required"] == []
    assert "GPU" in doctor.format_report(info)
    assert any("shipped data: gensim test data" in line for line in info["data"])
    assert "torch" in info["gpu"] or "CUDA" in info["gpu"] or "GPU" in info["gpu"]


def test_missing_required_package_is_a_problem_line(monkeypatch):
    real = doctor.package_versions

    def without_torch():
        return dict(real(), torch=None)

    monkeypatch.setattr(doctor, "package_versions", without_torch)
    text = doctor.format_report(doctor.report())
    assert "PROBLEM: missing torch" in text
    assert "torch                not installed  (required for the lessons)" in text


def test_cli_runs_without_network():
    result = subprocess.run([sys.executable, "-m", "course_utils.doctor"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("course_utils doctor")
    assert "Everything the lessons need is installed." in result.stdout


def test_blas_line_names_the_kernels_and_flags_avx2_kernels_on_an_avx512_cpu():
    zen5 = [{"user_api": "blas", "internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell"}]
    flags = doctor.cpu_flags("processor : 0\nflags : fpu sse avx2 avx512f avx512bw\n")
    assert "avx512f" in flags
    line = doctor.blas_status(zen5, flags)
    assert line.startswith("openblas 0.3.31, kernels for Haswell")
    assert "OPENBLAS_CORETYPE=SkylakeX" in line
    assert "OPENBLAS_CORETYPE" not in doctor.blas_status(zen5, {"avx2"})        # an AVX2 CPU: nothing to gain
    skylake = [dict(zen5[0], architecture="SkylakeX")]
    assert "OPENBLAS_CORETYPE" not in doctor.blas_status(skylake, flags)
    assert doctor.blas_status([], flags) == "no BLAS library found in this process"
    assert doctor.report()["blas"]                                              # this machine's line
