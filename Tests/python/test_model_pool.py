"""Model.generate / Model.segment: one model called from several threads at
once gives what one session gives for each call, on a pool that grows only
to the number of simultaneous callers; segment takes [h, w] images."""
import threading

import numpy as np
import pytest

from medaug_binding import medaug


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pool")
    medaug.init_model(folder / "s.safetensors", "segmenter", image_size=32, classes=3, seed=3)
    medaug.init_model(folder / "g.safetensors", "generator", image_size=64, classes=3, seed=4)
    return medaug.load_model(folder / "s.safetensors"), medaug.load_model(folder / "g.safetensors")


def run_threads(count, work):
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def body(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # reported below, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_concurrent_segment_calls_match_one_session(models):
    segmenter, _ = models
    images = [np.random.default_rng(i).uniform(-1, 1, (2, 1, 32, 32)).astype(np.float32) for i in range(6)]
    expected = [segmenter.session().segment(x, probabilities=True) for x in images]
    for _ in range(3):
        got = run_threads(6, lambda i: segmenter.segment(images[i], probabilities=True))
        for (labels, probs), (want_labels, want_probs) in zip(got, expected):
            np.testing.assert_array_equal(labels, want_labels)
            np.testing.assert_array_equal(probs, want_probs)
    assert 1 <= segmenter._pool.size <= 6, "one session per simultaneous caller at most"


def test_concurrent_generate_calls_match_one_session(models):
    _, generator = models
    maps = [np.random.default_rng(i).choice([0, 1, 2], (64, 64)).astype(np.int32) for i in range(4)]
    expected = [generator.session().generate(m, seed=11 + i) for i, m in enumerate(maps)]
    got = run_threads(4, lambda i: generator.generate(maps[i], seed=11 + i))
    for image, want in zip(got, expected):
        np.testing.assert_array_equal(image, want)


def test_segment_takes_a_single_channel_hw_image(models):
    segmenter, _ = models
    image = np.random.default_rng(9).uniform(-1, 1, (32, 32)).astype(np.float32)
    labels = segmenter.segment(image)
    assert labels.shape == (32, 32)
    np.testing.assert_array_equal(labels, segmenter.session().segment(image[None]))
    with pytest.raises(medaug.ShapeError, match=r"\[h, w\], \[c, h, w\] or \[n, c, h, w\]"):
        segmenter.segment(np.zeros(32, np.float32))


def test_a_closed_model_refuses_calls_and_closes_its_sessions(tmp_path):
    medaug.init_model(tmp_path / "s.safetensors", "segmenter", image_size=32, classes=3)
    model = medaug.load_model(tmp_path / "s.safetensors")
    model.segment(np.zeros((1, 32, 32), np.float32))
    pooled = list(model._pool._all)
    model.close()
    assert all(s.closed for s in pooled)
    with pytest.raises(medaug.ClosedError):
        model.segment(np.zeros((1, 32, 32), np.float32))
