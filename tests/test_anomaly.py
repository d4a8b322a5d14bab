"""detect_anomaly names the op, its input shapes and the user's line."""

import numpy as np
import pytest

import chainrule as cr


def test_forward_anomaly_names_the_op_and_the_user_line():
    x = cr.Tensor(np.array([1.0, -1.0]), requires_grad=True)
    quiet = np.errstate(invalid="ignore")  # NumPy's own warning; the error says more
    with cr.detect_anomaly(), quiet, pytest.raises(cr.AnomalyError) as caught:
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
    assert y._node._trace is None


def test_a_nan_in_the_data_is_reported_as_an_input_not_as_the_ops_fault():
    w = cr.Tensor(np.ones((2, 2)), requires_grad=True)
    data = np.array([np.nan, 1.0])
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match="received a non-finite input"):
        w @ data


def test_inside_chainrule_layers_the_line_is_the_layer_that_called_the_op():
    from chainrule._core.anomaly import user_frame

    assert "test_anomaly.py" in user_frame()
