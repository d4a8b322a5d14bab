"""What a PyTorch user types first: print(t), t.tolist(), cr.save/cr.load, and PyTorch's
names for NumPy's, which fail with the NumPy spelling in the error."""

import zipfile

import numpy as np
import pytest

import chainrule as cr


def test_repr_is_numpys_with_dtype_and_the_op_after_it():
    x = cr.Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    loss = (x * x).mean()
    assert repr(loss) == "Tensor(2.5, dtype=float32, op=mean)"
    assert repr(x) == "Tensor([1., 2.], dtype=float32, requires_grad=True)"
    assert repr(cr.Tensor(np.arange(3))) == "Tensor([0, 1, 2], dtype=int64)"
    assert str(loss) == repr(loss)


def test_repr_of_a_matrix_aligns_rows_as_numpy_does():
    x = cr.Tensor(np.eye(2))
    assert repr(x) == "Tensor([[1., 0.],\n        [0., 1.]], dtype=float64)"


def test_repr_summarises_large_arrays_and_follows_numpys_print_options():
    big = cr.Tensor(np.arange(10_000.0))
    assert "..." in repr(big) and len(repr(big)) < 200
    with np.printoptions(precision=3):
        assert repr(cr.Tensor(np.float32(np.pi))) == "Tensor(3.142, dtype=float32)"


def test_tolist_gives_python_numbers_in_nested_lists():
    x = cr.Tensor(np.array([[1.5, 2.0]], dtype=np.float32), requires_grad=True)
    assert x.tolist() == [[1.5, 2.0]]
    assert type(x.tolist()[0][0]) is float
    assert (x.sum()).tolist() == 3.5


@pytest.mark.parametrize(
    ("call", "spelling"),
    [
        (lambda t: t.unsqueeze(0), "np.expand_dims"),
        (lambda t: t.view(6), "t.reshape"),
        (lambda t: t.permute(1, 0), "t.transpose"),
        (lambda t: t.dim(), "t.ndim"),
    ],
)
def test_pytorch_method_names_fail_naming_numpys(call, spelling):
    t = cr.Tensor(np.ones((2, 3)))
    with pytest.raises(AttributeError, match=spelling):
        call(t)


def test_size_is_numpys_element_count_and_calling_it_points_to_shape():
    t = cr.Tensor(np.ones((2, 3)))
    assert t.size == 6 and np.zeros(t.size).shape == (6,)
    with pytest.raises(TypeError, match="t.shape"):
        t.size()


@pytest.mark.parametrize(("keyword", "spelling"), [("dim", "axis="), ("keepdim", "keepdims=")])
def test_pytorch_keywords_fail_naming_numpys(keyword, spelling):
    t = cr.Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=spelling):
        t.sum(**{keyword: 1})
    assert t.sum(axis=1, keepdims=True).shape == (2, 1)


def test_unknown_attributes_still_raise_plain_attribute_errors():
    t = cr.Tensor(np.ones(2))
    assert not hasattr(t, "nonsense")
    assert not hasattr(t, "__array_interface__")


def test_save_and_load_round_trip_a_nested_state_dict(tmp_path):
    model = cr.nn.MLP((4, 3, 2), rng=np.random.default_rng(0))
    state = {"model": model.state_dict(), "epoch": 3, "names": ["a", "b"],
             "scale": cr.Tensor(np.float32(0.5)), "history": (0.25, 0.125)}
    cr.save(state, tmp_path / "state.npz")
    loaded = cr.load(tmp_path / "state.npz")
    assert loaded["epoch"] == 3 and loaded["names"] == ["a", "b"]
    assert loaded["history"] == [0.25, 0.125]
    assert loaded["scale"].dtype == np.float32 and loaded["scale"] == 0.5
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(loaded["model"][name], array)
        assert loaded["model"][name].dtype == array.dtype
    fresh = cr.nn.MLP((4, 3, 2), rng=np.random.default_rng(1))
    fresh.load_state_dict(loaded["model"])
    x = np.ones((1, 4), dtype=np.float32)
    np.testing.assert_array_equal(fresh(x).data, model(x).data)


def test_save_writes_npz_without_pickles(tmp_path):
    cr.save({"w": np.ones(3)}, tmp_path / "w.npz")
    with zipfile.ZipFile(tmp_path / "w.npz") as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
        assert all(b"\x80" != archive.read(name)[:1] for name in archive.namelist())


def test_save_refuses_a_module_and_says_to_save_its_state_dict(tmp_path):
    with pytest.raises(cr.CheckpointError, match=r"state_dict\(\)"):
        cr.save({"model": cr.nn.MLP((4, 2))}, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_load_refuses_a_pickle_naming_the_file(tmp_path):
    import pickle

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": [1, 2]}))
    with pytest.raises(cr.CheckpointError, match="evil.pt.*pickled"):
        cr.load(path)
