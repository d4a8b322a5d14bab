"""detect_anomaly names the op, its input shapes and the user's line."""

import numpy as np
import pytest

import chainrule as cr


def test_forward_anomaly_names_the_op_and_the_user_line():
    x = cr.Tensor(np.array([1.0, -1.0]), requires_grad=True)
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError) as caught:
        y = np.log(x)  # the line that makes a NaN
        y.sum()
    message = str(caught.value)
    assert "log" in message and "(2,)" in message
    assert "test_anomaly.py" in message and "np.log(x)" in message


def test_backward_anomaly_names_the_op_whose_gradient_is_not_finite():
    x = cr.Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with cr.detect_anomaly():
        y = np.sqrt(x).sum()  # finite forward, infinite derivative at 0
        with pytest.raises(cr.AnomalyError) as caught:
            y.backward()
    message = str(caught.value)
    assert "sqrt" in message and "backward" in message and "np.sqrt(x)" in message


def test_without_detect_anomaly_nothing_is_checked():
    x = cr.Tensor(np.array([-1.0]), requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = np.log(x)
    assert np.isnan(y.data).all()
    assert y._trace is None
