import numpy as np
import pytest

from course_utils import checks


def test_check_close_pass_and_fail(capsys):
    assert checks.check_close("z", 0.87, 0.87)
    assert capsys.readouterr().out.strip() == "✓ z: correct"
    result = checks.check_close("a", [0.1, 0.5], [0.1, 0.7], hint="apply σ to z")
    assert not result
    out = capsys.readouterr().out.strip()
    assert out.startswith("✗ a: got 0.5 at index (1,), expected 0.7; hint: apply σ to z")


def test_check_close_shape_mismatch_names_both_shapes(capsys):
    result = checks.check_close("W", np.zeros((3, 2)), np.zeros((2, 3)))
    assert not result
    assert "shape is (3, 2), expected (2, 3) (transposed?" in result.message


def test_check_close_non_numbers_and_nan():
    assert "expected numbers" in checks.check_close("x", "abc", 1.0, quiet=True).message
    assert "NaN" in checks.check_close("x", [np.nan], [1.0], quiet=True).message


def test_check_shape_dimensions_hint():
    result = checks.check_shape("h", np.zeros((4, 1)), (4,), quiet=True)
    assert not result and "2 dimensions instead of 1" in result.message
    assert checks.check_shape("h", np.zeros(4), (4,), quiet=True)


def test_check_function_reports_first_failing_case(capsys):
    def reference(z):
        return z * 2

    assert checks.check_function(lambda z: z + z, reference, [(1.0,), (np.arange(3.0),)],
                                 name="double")
    assert "✓ double: all 2 cases correct" in capsys.readouterr().out
    result = checks.check_function(lambda z: z * 2 if np.ndim(z) == 0 else z, reference,
                                   [(1.0,), (np.arange(3.0),)], name="double", hint="look")
    assert not result and result.message.startswith("case 2 of 2")
    assert "hint: look" in result.message


def test_check_function_not_implemented_and_exceptions():
    def stub(z):
        raise NotImplementedError

    result = checks.check_function(stub, lambda z: z, [(1.0,)], quiet=True)
    assert "not implemented yet" in result.message
    result = checks.check_function(lambda z: 1 / 0, lambda z: z, [(1.0,)], quiet=True)
    assert "raised ZeroDivisionError" in result.message


def test_check_function_names_a_lambda_by_what_it_computes(capsys):
    def apply_layers(x, layers):
        return x * len(layers)

    net = [1, 2]
    checks.check_function(lambda x: apply_layers(x, net), lambda x: 2 * x, [(1.0,)])
    checks.check_function(lambda x: [v for v in (x, x)], lambda x: [x, x], [(1.0,)])
    out = capsys.readouterr().out
    assert "✓ apply_layers(x, net): all 1 cases correct" in out
    assert "✓ [v for v in (x, x)]: all 1 cases correct" in out
    assert "<lambda>" not in out


def test_check_function_misuse_raises():
    with pytest.raises(ValueError, match="at least one"):
        checks.check_function(abs, abs, [])
    with pytest.raises(TypeError, match="tuple of arguments"):
        checks.check_function(abs, abs, [1.0])


def test_check_true_and_display_hook():
    result = checks.check_true("AND learned", True, "all four points right", "still wrong",
                               quiet=True)
    assert result.line == "✓ AND learned: all four points right"
    assert result._ipython_display_() is None
