"""Tests of course_utils.ensembles (chapter 03). scikit-learn, scipy and torch are the oracles."""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn import ensemble as sk_ensemble
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from course_utils import ensembles as E
from course_utils.data import make_moons
from course_utils.models import mlp
from course_utils.training import fit

pytestmark = pytest.mark.ensembles


def sklearn_samme(**kwargs) -> sk_ensemble.AdaBoostClassifier:
    """scikit-learn's AdaBoost with SAMME: ``algorithm="SAMME"`` where the installed version
    still has the argument (deprecated in 1.6, removed in 1.8, where SAMME is the only one)."""
    if "algorithm" in inspect.signature(sk_ensemble.AdaBoostClassifier).parameters:
        kwargs["algorithm"] = "SAMME"
    return sk_ensemble.AdaBoostClassifier(**kwargs)


def classification(n_classes: int, seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n, n_features=6, n_informative=4, n_classes=n_classes,
                               n_clusters_per_class=1, random_state=seed)


# ---------------------------------------------------------------------------------------
# bootstrap and pasting
# ---------------------------------------------------------------------------------------


def expected_distinct(n: int) -> tuple[float, float]:
    """Mean and variance of the number of distinct values in n uniform draws from n."""
    q1, q2 = (1 - 1 / n) ** n, (1 - 2 / n) ** n
    mean = n * (1 - q1)
    variance = n * q1 + n * (n - 1) * q2 - (n * q1) ** 2
    return mean, variance


def test_bootstrap_is_torch_randint_with_the_seeded_generator():
    expected = torch.randint(50, (70,), generator=torch.Generator().manual_seed(3))
    assert torch.equal(E.bootstrap_indices(50, 70, seed=3), expected)
    assert E.bootstrap_indices(50, seed=1).dtype == torch.int64
    assert len(E.bootstrap_indices(50, seed=1)) == 50


def test_bootstrap_holds_about_63_percent_distinct_indices():
    # 40 samples of n = 5000: the mean count of distinct indices has std sqrt(var / 40) ~ 3;
    # a 5-sigma band fails by chance with probability < 1e-6
    n, reps = 5000, 40
    counts = [len(E.bootstrap_indices(n, seed=s).unique()) for s in range(reps)]
    mean, variance = expected_distinct(n)
    assert abs(np.mean(counts) - mean) < 5 * math.sqrt(variance / reps)
    assert abs(mean / n - (1 - math.exp(-1))) < 1e-4  # the limit 1 - 1/e = 63.2 %


def test_bootstrap_repeats_and_out_of_bag_is_the_complement():
    idx = E.bootstrap_indices(1000, seed=0)
    oob = E.out_of_bag_mask(idx, 1000)
    assert len(idx.unique()) < len(idx)
    assert int(oob.sum()) == 1000 - len(idx.unique())
    assert not oob[idx].any()


def test_pasting_has_no_repeats_and_is_a_seeded_permutation_prefix():
    idx = E.pasting_indices(100, 60, seed=4)
    assert len(idx.unique()) == 60 and idx.min() >= 0 and idx.max() < 100
    assert torch.equal(idx, torch.randperm(100, generator=torch.Generator().manual_seed(4))[:60])
    assert torch.equal(E.pasting_indices(100, 100, seed=4).sort().values, torch.arange(100))


@pytest.mark.parametrize("method", ["seeds", "bagging", "pasting"])
def test_member_subsets_shapes(method):
    subsets = E.member_subsets(200, 5, method=method, max_samples=0.5, seed=0)
    size = 200 if method == "seeds" else 100
    assert subsets.shape == (5, size) and subsets.dtype == torch.int64
    if method == "seeds":
        assert (subsets == torch.arange(200)).all()
    else:
        assert not torch.equal(subsets[0], subsets[1])
    if method == "pasting":
        assert all(len(row.unique()) == size for row in subsets)


# ---------------------------------------------------------------------------------------
# votes and averages
# ---------------------------------------------------------------------------------------

label_matrices = st.integers(1, 7).flatmap(
    lambda m: st.integers(1, 12).flatmap(
        lambda n: st.lists(st.integers(0, 3), min_size=m * n, max_size=m * n).map(
            lambda values: np.array(values).reshape(m, n))))


@settings(max_examples=60, deadline=None)
@given(label_matrices)
def test_hard_vote_matches_numpy_bincount_argmax(predictions):
    # scikit-learn's VotingClassifier rule: np.argmax(np.bincount(...)), smallest label on ties
    expected = [np.argmax(np.bincount(column, minlength=4)) for column in predictions.T]
    assert E.hard_vote(torch.from_numpy(predictions), 4).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(label_matrices, st.data())
def test_weighted_hard_vote_matches_weighted_bincount(predictions, data):
    weights = np.array(data.draw(st.lists(st.integers(1, 5), min_size=len(predictions),
                                          max_size=len(predictions))), dtype=float)
    expected = [np.argmax(np.bincount(c, weights=weights, minlength=4)) for c in predictions.T]
    assert E.hard_vote(torch.from_numpy(predictions), 4, weights=weights).tolist() == expected


def test_hard_vote_hand_made_cases_and_ties():
    # 7 members say "animal" (0), 3 say "plant" (1): the vote is "animal"
    assert E.hard_vote(torch.tensor([[0]] * 7 + [[1]] * 3)).tolist() == [0]
    # ties: 2-2 between classes 1 and 2 -> 1; a three-way 1-1-1 tie -> 0
    predictions = torch.tensor([[2, 0], [1, 1], [2, 2], [1, 0]])  # (members, samples)
    assert E.hard_vote(predictions, 3).tolist() == [1, 0]
    assert E.hard_vote(torch.tensor([[2], [1], [0]])).tolist() == [0]
    counts = E.vote_counts(torch.tensor([[0, 2], [2, 2], [1, 2]]), 3)
    assert counts.tolist() == [[1, 1, 1], [0, 0, 3]]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 8), st.integers(2, 5), st.integers(0, 10_000))
def test_soft_vote_matches_numpy_average(m, n, c, seed):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(c), size=(m, n))
    weights = rng.uniform(0.1, 2.0, size=m)
    assert E.soft_vote(torch.from_numpy(proba)).tolist() == proba.mean(0).argmax(1).tolist()
    expected = np.average(proba, axis=0, weights=weights).argmax(1)
    assert E.soft_vote(torch.from_numpy(proba), weights).tolist() == expected.tolist()


def test_soft_vote_can_disagree_with_hard_vote_and_breaks_ties_low():
    proba = torch.tensor([[[0.9, 0.1]], [[0.4, 0.6]], [[0.4, 0.6]]])
    assert E.soft_vote(proba).tolist() == [0]
    assert E.hard_vote(proba.argmax(-1)).tolist() == [1]
    assert E.soft_vote(torch.tensor([[[0.3, 0.7]], [[0.7, 0.3]]])).tolist() == [0]


def test_average_matches_numpy_for_regression_outputs():
    outputs = np.random.default_rng(0).normal(size=(5, 20))
    weights = [1.0, 2.0, 0.0, 0.5, 3.0]
    np.testing.assert_allclose(E.average(torch.from_numpy(outputs)), outputs.mean(0))
    np.testing.assert_allclose(E.average(torch.from_numpy(outputs), weights),
                               np.average(outputs, axis=0, weights=weights))


# ---------------------------------------------------------------------------------------
# majority vote theory, disagreement, ensemble curves
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.3, 0.5, 0.6, 0.9])
@pytest.mark.parametrize("m", [1, 2, 5, 10, 25])
def test_majority_vote_accuracy_matches_scipy_binomial(p, m):
    # P(K > m/2) + 0.5 P(K = m/2), K ~ Binomial(m, p)
    expected = stats.binom.sf(m // 2, m, p) + (0.5 * stats.binom.pmf(m // 2, m, p) if m % 2 == 0
                                                else 0.0)
    assert E.majority_vote_accuracy(p, m) == pytest.approx(expected, rel=1e-12)


def test_majority_vote_accuracy_grows_towards_one_above_one_half():
    values = [E.majority_vote_accuracy(0.6, m) for m in (1, 11, 101)]
    assert values[0] == pytest.approx(0.6) and values[0] < values[1] < values[2] and values[2] > 0.97


def test_pairwise_disagreement_matches_a_direct_count():
    rng = np.random.default_rng(1)
    predictions = rng.integers(0, 3, size=(4, 50))
    d = E.pairwise_disagreement(torch.from_numpy(predictions))
    for j in range(4):
        for k in range(4):
            assert d[j, k].item() == pytest.approx(np.mean(predictions[j] != predictions[k]))


def test_accuracy_vs_size_matches_votes_of_each_prefix():
    rng = np.random.default_rng(2)
    proba = torch.from_numpy(rng.dirichlet(np.ones(4), size=(6, 40)))
    y = torch.from_numpy(rng.integers(0, 4, size=40))
    curves = E.accuracy_vs_size(proba, y)
    for k in range(1, 7):
        hard = (E.hard_vote(proba[:k].argmax(-1), 4) == y).double().mean().item()
        soft = (E.soft_vote(proba[:k]) == y).double().mean().item()
        member = (proba[:k].argmax(-1) == y).double().mean().item()
        assert curves["hard"][k - 1].item() == pytest.approx(hard)
        assert curves["soft"][k - 1].item() == pytest.approx(soft)
        assert curves["member"][k - 1].item() == pytest.approx(member)


def test_member_probabilities_restores_training_mode():
    models = [mlp([3, 4, 2], dropout=0.5) for _ in range(2)]
    x = torch.randn(5, 3)
    proba = E.member_probabilities(models, x)
    assert proba.shape == (2, 5, 2) and torch.allclose(proba.sum(-1), torch.ones(2, 5))
    assert all(model.training for model in models)
    models[0].eval()
    assert torch.allclose(proba[0], models[0](x).softmax(-1))


# ---------------------------------------------------------------------------------------
# SAMME
# ---------------------------------------------------------------------------------------


def test_samme_round_follows_the_formulas():
    y_true = torch.tensor([0, 1, 2, 2, 1, 0, 0, 1])
    y_pred = torch.tensor([0, 1, 1, 2, 1, 2, 0, 1])
    w = torch.tensor([0.1, 0.2, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1], dtype=torch.float64)
    new_w, alpha, error = E.samme_round(y_true, y_pred, w, n_classes=3, learning_rate=0.5)
    wrong = (y_pred != y_true).double()
    assert error == pytest.approx(0.2)
    assert alpha == pytest.approx(0.5 * (math.log(0.8 / 0.2) + math.log(2)))
    expected = w * torch.exp(alpha * wrong)
    torch.testing.assert_close(new_w, expected / expected.sum())


def test_samme_round_keeps_zero_weights_at_zero():
    new_w, _, _ = E.samme_round([0, 1, 1, 0], [1, 1, 0, 0], [0.0, 1.0, 1.0, 2.0], n_classes=2)
    assert new_w[0].item() == 0.0 and new_w.sum().item() == pytest.approx(1.0)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("learning_rate", [1.0, 0.5])
def test_adaboost_with_stumps_equals_sklearn_samme(n_classes, learning_rate):
    X, y = classification(n_classes, seed=n_classes)
    ours = E.AdaBoostClassifier(n_estimators=30, learning_rate=learning_rate, random_state=0)
    ref = sklearn_samme(estimator=DecisionTreeClassifier(max_depth=1), n_estimators=30,
                        learning_rate=learning_rate, random_state=0)
    ours.fit(X, y)
    ref.fit(X, y)
    np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_, rtol=1e-10)
    np.testing.assert_allclose(ours.estimator_errors_, ref.estimator_errors_, rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-10)
    for a, b in zip(ours.staged_predict(X), ref.staged_predict(X), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")
def test_adaboost_equals_sklearn_with_sample_weight_string_labels_and_deeper_trees():
    # scikit-learn takes log(0) for the zero weights (our samme_round skips them)
    X, y = classification(3, seed=7)
    labels = np.array(["cat", "dog", "eel"])[y]
    weight = np.random.default_rng(0).uniform(0, 2, size=len(y))
    weight[:10] = 0.0
    tree = DecisionTreeClassifier(max_depth=2)
    ours = E.AdaBoostClassifier(tree, n_estimators=15, random_state=3).fit(X, labels, weight)
    ref = sklearn_samme(estimator=tree, n_estimators=15, random_state=3).fit(X, labels, weight)
    np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_, rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert list(ours.classes_) == ["cat", "dog", "eel"]


def test_adaboost_stops_on_a_perfect_member_like_sklearn():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    ours = E.AdaBoostClassifier(n_estimators=5).fit(X, y)
    ref = sklearn_samme(n_estimators=5).fit(X, y)
    assert len(ours.estimators_) == len(ref.estimators_) == 1
    np.testing.assert_array_equal(ours.estimator_weights_, ref.estimator_weights_)
    np.testing.assert_array_equal(ours.predict(X), y)


def test_adaboost_sample_weights_grow_on_mistakes():
    X, y = make_moons(120, noise=0.3, seed=0)
    ada = E.AdaBoostClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert ada.sample_weights_.shape == (6, 120)
    np.testing.assert_allclose(ada.sample_weights_[0], np.full(120, 1 / 120))
    np.testing.assert_allclose(ada.sample_weights_.sum(axis=1), 1.0)
    wrong = ada.estimators_[0].predict(X.numpy()) != y.numpy()
    ratio = ada.sample_weights_[1][wrong].mean() / ada.sample_weights_[1][~wrong].mean()
    assert ratio == pytest.approx(math.exp(ada.estimator_weights_[0]))


def test_adaboost_predict_is_the_alpha_weighted_hard_vote():
    X, y = classification(4, seed=1)
    ada = E.AdaBoostClassifier(n_estimators=20, random_state=0).fit(X, y)
    members = torch.tensor(np.stack([m.predict(X) for m in ada.estimators_]))
    vote = E.hard_vote(members, 4, weights=ada.estimator_weights_[: len(ada.estimators_)])
    np.testing.assert_array_equal(vote.numpy(), ada.predict(X))


# ---------------------------------------------------------------------------------------
# Bagging
# ---------------------------------------------------------------------------------------


def test_pasting_the_whole_set_with_a_deterministic_learner_equals_one_learner():
    X, y = classification(3, seed=2)
    bag = E.BaggingClassifier(LogisticRegression(), 4, bootstrap=False, random_state=0).fit(X, y)
    single = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(bag.predict_proba(X), single.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_bagging_combines_members_trained_on_their_samples(voting):
    X, y = classification(3, seed=3)
    bag = E.BaggingClassifier(DecisionTreeClassifier(max_depth=3), 7, voting=voting,
                              random_state=1).fit(X, y)
    members = []
    for member, idx in zip(bag.estimators_, bag.estimators_samples_, strict=True):
        refit = clone(member).fit(X[idx], y[idx])  # same random_state, same sample
        np.testing.assert_array_equal(refit.predict(X), member.predict(X))
        members.append(member)
    if voting == "soft":
        expected = E.soft_vote(torch.tensor(np.stack([m.predict_proba(X) for m in members])))
    else:
        expected = E.hard_vote(torch.tensor(np.stack([m.predict(X) for m in members])), 3)
    np.testing.assert_array_equal(bag.predict(X), expected.numpy())
    *_, last = bag.staged_predict(X)
    np.testing.assert_array_equal(last, bag.predict(X))


def test_bagging_samples_are_bootstrap_or_pasting():
    X, y = classification(2, seed=4, n=1000)
    bag = E.BaggingClassifier(DecisionTreeClassifier(max_depth=1), 20, random_state=0).fit(X, y)
    distinct = np.mean([len(np.unique(s)) for s in bag.estimators_samples_]) / 1000
    mean, variance = expected_distinct(1000)
    assert abs(distinct * 1000 - mean) < 5 * math.sqrt(variance / 20)
    paste = E.BaggingClassifier(DecisionTreeClassifier(max_depth=1), 5, max_samples=300,
                                bootstrap=False, random_state=0).fit(X, y)
    assert all(len(np.unique(s)) == len(s) == 300 for s in paste.estimators_samples_)


def test_bagging_aligns_classes_a_member_never_saw():
    X, y = classification(4, seed=5, n=200)
    bag = E.BaggingClassifier(DecisionTreeClassifier(), 6, max_samples=3, random_state=0).fit(X, y)
    assert any(len(m.classes_) < 4 for m in bag.estimators_)
    proba = bag.predict_proba(X)
    assert proba.shape == (200, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_bagging_out_of_bag_score_uses_only_unseen_members():
    X, y = classification(2, seed=6, n=150)
    bag = E.BaggingClassifier(DecisionTreeClassifier(max_depth=2), 10, oob_score=True,
                              random_state=0).fit(X, y)
    totals = np.zeros((150, 2))
    for member, idx in zip(bag.estimators_, bag.estimators_samples_, strict=True):
        unseen = np.setdiff1d(np.arange(150), idx)
        totals[unseen] += member.predict_proba(X[unseen])
    seen = totals.sum(1) > 0
    assert bag.oob_score_ == pytest.approx(np.mean(totals[seen].argmax(1) == y[seen]))


# ---------------------------------------------------------------------------------------
# The torch wrapper
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_data():
    X, y = classification(3, seed=8, n=160)
    return X.astype(np.float32), y


def test_torch_classifier_without_weights_equals_fit(small_data):
    X, y = small_data
    clf = E.TorchMLPClassifier((8,), epochs=3, batch_size=32, lr=0.1, random_state=5).fit(X, y)
    torch.manual_seed(5)
    model = mlp([6, 8, 3])
    fit(model, (torch.from_numpy(X), torch.from_numpy(y)), epochs=3, batch_size=32, lr=0.1,
        seed=5, progress=False)
    for ours, ref in zip(clf.model_.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(ours, ref)


def test_torch_classifier_zero_weight_changes_nothing(small_data):
    X, y = small_data
    clf = E.TorchMLPClassifier((8,), epochs=2, batch_size=16, lr=0.1, random_state=1)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    weight[[3, 50, 99]] = 0.0
    keep = weight > 0
    with_zeros = clone(clf).fit(X, y, sample_weight=weight)
    without = clone(clf).fit(X[keep], y[keep], sample_weight=weight[keep])
    for a, b in zip(with_zeros.model_.parameters(), without.model_.parameters(), strict=True):
        assert torch.equal(a, b)


def test_torch_classifier_weights_are_relative_and_matter(small_data):
    X, y = small_data
    clf = E.TorchMLPClassifier((8,), epochs=3, batch_size=40, lr=0.2, random_state=2)
    weight = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    a = clone(clf).fit(X, y, sample_weight=weight).predict_proba(X)
    b = clone(clf).fit(X, y, sample_weight=7.0 * weight).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-5)
    uniform = clone(clf).fit(X, y)
    favour = clone(clf).fit(X, y, sample_weight=np.where(y == 2, 20.0, 1.0))
    assert favour.predict_proba(X)[y == 2, 2].mean() > uniform.predict_proba(X)[y == 2, 2].mean()


def test_torch_classifier_is_a_clonable_estimator_with_string_classes(small_data):
    X, y = small_data
    labels = np.array(["a", "b", "c"])[y]
    clf = E.TorchMLPClassifier((), epochs=2, random_state=0).fit(X, labels)
    assert clone(clf).get_params() == clf.get_params()
    assert set(clf.predict(X)) <= {"a", "b", "c"} and clf.predict_proba(X).shape == (160, 3)
    assert 0.0 <= clf.score(X, labels) <= 1.0


def test_adaboost_and_bagging_accept_the_torch_classifier(small_data):
    X, y = small_data
    weak = E.TorchMLPClassifier((4,), epochs=2, batch_size=80, lr=0.3)
    ada = E.AdaBoostClassifier(weak, n_estimators=3, learning_rate=0.5, random_state=0)
    ada.fit(X, y)
    assert 1 <= len(ada.estimators_) <= 3 and ada.predict(X).shape == (160,)
    bag = E.BaggingClassifier(weak, 3, random_state=0).fit(X, y)
    assert bag.predict_proba(X).shape == (160, 3)


# ---------------------------------------------------------------------------------------
# One test per error message
# ---------------------------------------------------------------------------------------

X_SMALL, Y_SMALL = classification(2, seed=9, n=40)

ERRORS = {
    "bootstrap n": (lambda: E.bootstrap_indices(0, seed=0), "n must be an integer >= 1"),
    "bootstrap size": (lambda: E.bootstrap_indices(5, 0, seed=0), "size must be an integer >= 1"),
    "pasting size": (lambda: E.pasting_indices(5, 6, seed=0), "size must be at most n=5"),
    "oob range": (lambda: E.out_of_bag_mask(torch.tensor([0, 7]), 5), r"indices must lie in \[0, 5\)"),
    "subset method": (lambda: E.member_subsets(5, 2, method="boost", seed=0), "method must be"),
    "max_samples": (lambda: E.member_subsets(5, 2, method="bagging", max_samples=1.5, seed=0),
                    "max_samples must be an int in"),
    "vote shape": (lambda: E.hard_vote(torch.tensor([1, 2])), "predictions must be a non-empty"),
    "vote labels": (lambda: E.hard_vote(torch.tensor([[0, 3]]), 3), r"class labels in \[0, 3\)"),
    "weights length": (lambda: E.hard_vote(torch.tensor([[0, 1]]), weights=[1.0, 2.0]),
                       r"one entry per member \(1\)"),
    "weights sign": (lambda: E.average(torch.ones(2, 3), [1.0, -1.0]), "non-negative"),
    "average empty": (lambda: E.average(torch.ones(0, 3)), "at least one member"),
    "soft shape": (lambda: E.soft_vote(torch.ones(2, 3)), "probabilities must have shape"),
    "majority p": (lambda: E.majority_vote_accuracy(1.2, 3), "p must be a probability"),
    "majority members": (lambda: E.majority_vote_accuracy(0.6, 0), "n_members must be"),
    "disagreement shape": (lambda: E.pairwise_disagreement(torch.ones(3)), "predictions must have"),
    "member probabilities": (lambda: E.member_probabilities([], torch.ones(1, 2)), "at least one"),
    "curve shape": (lambda: E.accuracy_vs_size(torch.ones(2, 3, 2), torch.ones(4)),
                    r"shape \(n_members, 4, n_classes\)"),
    "curve orders": (lambda: E.accuracy_vs_size(torch.ones(2, 3, 2), torch.ones(3), n_orders=0),
                     "n_orders must be an integer >= 1"),
    "error shapes": (lambda: E.weighted_error([0, 1], [0], [1.0, 1.0]), "y_pred must have"),
    "alpha error": (lambda: E.samme_alpha(0.95, 10), r"error must be in \(0, 1 - 1/n_classes\)"),
    "alpha classes": (lambda: E.samme_alpha(0.2, 1), "n_classes must be an integer >= 2"),
    "alpha rate": (lambda: E.samme_alpha(0.2, 2, 0.0), "learning_rate must be positive"),
    "weight shape": (lambda: E.samme_round([0, 1], [0, 0], [1.0], n_classes=2),
                     re.escape("sample_weight.shape == (1,), expected (2,)!")),
    "weight finite": (lambda: E.weighted_error([0, 1], [0, 0], [1.0, np.nan]),
                      "Input sample_weight contains NaN or infinity"),
    "weight sign": (lambda: E.weighted_error([0, 1], [0, 0], [1.0, -1.0]),
                    "Negative values in data passed to `sample_weight`"),
    "weight zero": (lambda: E.weighted_error([0, 1], [0, 0], [0.0, 0.0]),
                    "Sample weights must contain at least one non-zero number"),
    "bagging n": (lambda: E.BaggingClassifier(n_estimators=0).fit(X_SMALL, Y_SMALL),
                  "'n_estimators' parameter of BaggingClassifier must be an int"),
    "bagging voting": (lambda: E.BaggingClassifier(voting="mean").fit(X_SMALL, Y_SMALL),
                       "voting must be 'soft' or 'hard'"),
    "bagging oob": (lambda: E.BaggingClassifier(bootstrap=False, oob_score=True).fit(X_SMALL, Y_SMALL),
                    "oob_score=True needs bootstrap=True"),
    "bagging max_samples": (lambda: E.BaggingClassifier(max_samples=1.5).fit(X_SMALL, Y_SMALL),
                            r"'max_samples' parameter of BaggingClassifier must be None, an int"),
    "bagging pasting size": (lambda: E.BaggingClassifier(max_samples=41, bootstrap=False)
                             .fit(X_SMALL, Y_SMALL),
                             "Effective max_samples=41 must be <= n_samples=40"),
    "bagging weighted pasting": (lambda: E.BaggingClassifier(max_samples=3, bootstrap=False).fit(
        X_SMALL, Y_SMALL, np.r_[np.ones(2), np.zeros(38)]),
        r"Fewer non-zero entries in sample_weight \(2\) than max_samples=3"),
    "bagging continuous y": (lambda: E.BaggingClassifier().fit(X_SMALL, np.linspace(0, 1, 40)),
                             "Unknown label type: continuous"),
    "bagging 3-D X": (lambda: E.BaggingClassifier().fit(np.ones((40, 2, 2)), Y_SMALL),
                      "Found array with dim 3"),
    "ada n": (lambda: E.AdaBoostClassifier(n_estimators=0).fit(X_SMALL, Y_SMALL),
              "'n_estimators' parameter of AdaBoostClassifier must be an int"),
    "ada rate": (lambda: E.AdaBoostClassifier(learning_rate=0).fit(X_SMALL, Y_SMALL),
                 r"'learning_rate' parameter of AdaBoostClassifier must be a float in the range "
                 r"\(0.0, inf\)"),
    "ada estimator": (lambda: E.AdaBoostClassifier(KNeighborsClassifier()).fit(X_SMALL, Y_SMALL),
                      "KNeighborsClassifier doesn't support sample_weight, which boosting needs"),
    "ada continuous y": (lambda: E.AdaBoostClassifier().fit(X_SMALL, np.linspace(0, 1, 40)),
                         "Unknown label type: continuous"),
    "ada chance": (lambda: E.AdaBoostClassifier(DummyClassifier(strategy="constant", constant=1))
                   .fit(X_SMALL, np.r_[np.zeros(30), np.ones(10)]),
                   r"ensemble is worse than random, ensemble can not be fit: the first member's "
                   r"weighted error 0.75 is >= 1 - 1/2"),
    "ada features": (lambda: E.AdaBoostClassifier(n_estimators=2).fit(X_SMALL, Y_SMALL)
                     .predict(X_SMALL[:, :3]), "X has 3 features, but AdaBoostClassifier is "
                     "expecting 6 features as input"),
    "torch continuous y": (lambda: E.TorchMLPClassifier().fit(X_SMALL, np.linspace(0, 1, 40)),
                           "Unknown label type: continuous"),
    "torch features": (lambda: E.TorchMLPClassifier(epochs=1).fit(X_SMALL, Y_SMALL)
                       .predict(X_SMALL[:, :3]), "X has 3 features, but TorchMLPClassifier is "
                       "expecting 6 features as input"),
    "bagging features": (lambda: E.BaggingClassifier(n_estimators=2).fit(X_SMALL, Y_SMALL)
                         .predict_proba(X_SMALL[:, :3]), "X has 3 features, but BaggingClassifier "
                         "is expecting 6 features as input"),
}


@pytest.mark.filterwarnings("ignore:When fitting BaggingClassifier with sample_weight")
@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_input_raises_a_value_error_naming_the_rule(case):
    call, message = ERRORS[case]
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("method", ["seeds", "bagging", "pasting"])
def test_fit_mlp_ensemble_of_one_equals_fit_on_its_subset(method):
    x, y = torch.randn(120, 5), torch.randint(0, 3, (120,))
    (member,) = E.fit_mlp_ensemble([5, 6, 3], (x, y), n_members=1, method=method,
                                   max_samples=0.5, epochs=2, batch_size=16, lr=0.1, seed=3)
    subset = E.member_subsets(120, 1, method=method, max_samples=0.5, seed=3)[0]
    torch.manual_seed(3)
    reference = mlp([5, 6, 3])
    # member k's batch order is seeded as its subset is: seed * 100_003 + k
    fit(reference, (x[subset], y[subset]), epochs=2, batch_size=16, lr=0.1, seed=3 * 100_003,
        progress=False)
    for ours, ref in zip(member.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(ours, ref)


def test_fit_mlp_ensemble_members_differ_and_global_rng_is_untouched():
    x, y = torch.randn(60, 4), torch.randint(0, 2, (60,))
    state = torch.get_rng_state()
    members = E.fit_mlp_ensemble([4, 3, 2], (x, y), n_members=3, epochs=1, batch_size=20,
                                 lr=0.1, seed=0)
    assert torch.equal(state, torch.get_rng_state())
    assert not torch.equal(members[0][0].weight, members[1][0].weight)


def test_accuracy_vs_size_averages_over_random_orders():
    rng = np.random.default_rng(3)
    proba = torch.from_numpy(rng.dirichlet(np.ones(3), size=(5, 30)))
    y = torch.from_numpy(rng.integers(0, 3, size=30))
    averaged = E.accuracy_vs_size(proba, y, n_orders=4, seed=1)
    generator = torch.Generator().manual_seed(1)
    orders = [torch.arange(5)] + [torch.randperm(5, generator=generator) for _ in range(3)]
    for key in ("hard", "soft", "member"):
        expected = torch.stack([E.accuracy_vs_size(proba[o], y)[key] for o in orders]).mean(0)
        torch.testing.assert_close(averaged[key], expected)
    member_acc = (proba.argmax(-1) == y).double().mean(1)
    assert averaged["member"][-1].item() == pytest.approx(member_acc.mean().item())


# ---------------------------------------------------------------------------------------
# The explorer's compute and the chapter's figures
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["AdaBoost (SAMME)", "bagging"])
def test_ensemble_explorer_data_is_deterministic_and_consistent(method):
    from course_utils.widgets import ensemble_explorer_data

    first = ensemble_explorer_data(method, 8, 2)
    again = ensemble_explorer_data(method, 8, 2)
    assert first["val_curve"] == again["val_curve"]
    assert len(first["train_curve"]) == len(first["model"].estimators_) <= 8
    x, y = first["x_train"].numpy(), first["y_train"].numpy()
    assert first["train_acc"] == pytest.approx(first["model"].score(x, y))


@pytest.mark.parametrize(("args", "message"), [
    (("boosting", 5, 1), "method must be one of"),
    (("bagging", 0, 1), r"n_estimators must be in \[1, 500\]"),
    (("bagging", 5, 0), r"max_depth must be in \[1, 20\]"),
])
def test_ensemble_explorer_data_rejects_bad_settings(args, message):
    from course_utils.widgets import ensemble_explorer_data

    with pytest.raises(ValueError, match=message):
        ensemble_explorer_data(*args)


def test_ensemble_explorer_redraws_when_a_slider_moves():
    import matplotlib.pyplot as plt

    from course_utils.widgets import EnsembleExplorer

    explorer = EnsembleExplorer()
    first = explorer.last_result
    explorer.controls["n_estimators"].value = 3
    assert explorer.last_result is not first
    assert "3 members" in explorer.last_result.axes[0].get_title()
    plt.close("all")


def test_ensemble_explorer_scores_on_validation_moons_with_whole_member_ticks():
    import matplotlib.pyplot as plt

    from course_utils.widgets import EnsembleExplorer, ensemble_explorer_data

    explorer = EnsembleExplorer()
    explorer.controls["method"].value = "bagging"
    explorer.controls["n_estimators"].value = 4
    ax_curve = explorer.last_result.axes[1]
    assert [line.get_label() for line in ax_curve.get_lines()] == ["train", "validation"]
    x_val, y_val = make_moons(1000, noise=0.3, seed=2)
    expected = E.staged_accuracy(ensemble_explorer_data("bagging", 4, 1)["model"], x_val, y_val)
    np.testing.assert_allclose(ax_curve.get_lines()[1].get_ydata(), 100 * np.array(expected))
    assert "validation" in ax_curve.get_title() and "test" not in ax_curve.get_title()
    ticks = [t for t in ax_curve.get_xticks() if 1 <= t <= 4]
    assert ticks and all(float(t).is_integer() for t in ticks)
    explorer.controls["method"].value = "AdaBoost (SAMME)"
    explorer.controls["max_depth"].value = 6
    explorer.controls["n_estimators"].value = 20  # a perfect member stops boosting early
    assert "fitted (boosting stopped)" in explorer.last_result.axes[0].get_title()
    plt.close("all")


def test_staged_accuracy_is_the_accuracy_after_each_member():
    x, y = (t.numpy() for t in make_moons(60, noise=0.3, seed=3))
    model = E.AdaBoostClassifier(n_estimators=5, random_state=0).fit(x, y)
    curve = E.staged_accuracy(model, torch.from_numpy(x), torch.from_numpy(y))
    assert len(curve) == len(model.estimators_)
    assert curve[-1] == pytest.approx(model.score(x, y))
    assert curve == [float(np.mean(p == y)) for p in model.staged_predict(x)]


@pytest.mark.parametrize(("args", "message"), [
    ((object(), np.zeros((3, 2)), np.zeros(3)), "model must have a staged_predict method"),
    ((None, np.zeros((3, 2)), np.zeros(2)), "model must have a staged_predict"),
    ("fitted", "x and y must hold the same number"),
])
def test_staged_accuracy_rejects_bad_input(args, message):
    if args == "fitted":
        x, y = (t.numpy() for t in make_moons(20, noise=0.3, seed=0))
        model = E.AdaBoostClassifier(n_estimators=2, random_state=0).fit(x, y)
        args = (model, x, y[:-1])
    with pytest.raises(ValueError, match=message):
        E.staged_accuracy(*args)


def test_chapter_figures_have_titles_and_labels():
    import matplotlib.pyplot as plt

    from course_utils import plotting as P

    rng = np.random.default_rng(0)
    figures = [
        P.plot_vote_theory([1, 2, 3], [0.8, 0.8, 0.9], {"hard": [0.8, 0.81, 0.82]},
                           rng.integers(0, 4, 50), [0.5, 0.3, 0.15, 0.05], np.zeros((3, 3)), p=0.8),
        P.plot_bootstrap_draws(rng.poisson(1, 100), rng.integers(0, 2, 100), [0.5, 1.0],
                               {"bagging": [0.4, 0.63], "pasting": [0.5, 1.0]}),
        P.plot_ensemble_size_curves([1, 2], {"seeds": {k: rng.random((3, 2))
                                                       for k in ("hard", "soft", "member")}}),
        P.plot_bagged_regression(np.arange(5.0), rng.random((3, 5)), rng.random(5), rng.random(5),
                                 np.arange(5.0), rng.random(5)),
        P.plot_staged_curves({"a": rng.random(4), "b": rng.random((3, 4))}, ylabel="error",
                             title="t", hlines={"c": 0.5}),
        P.plot_training_cost([1, 2], {"a": [0.1, 0.2]}),
        P.plot_training_cost([1, 2, 4], {"a": [0.1, 0.2, 0.4]}, relative=True),
    ]
    for fig in figures:
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    x, y = make_moons(40, seed=0)
    stump = DecisionTreeClassifier(max_depth=1).fit(x.numpy(), y.numpy())
    fig = P.plot_decision_boundaries({"stump": lambda g: stump.predict_proba(g.numpy())}, x, y)
    assert fig.axes[0].get_title() == "stump"
    plt.close("all")


def test_adaboost_discards_a_member_no_better_than_chance_like_sklearn():
    # a majority-class learner on 70 % / 30 % labels: round 1 has error 0.3, after its update
    # both classes weigh 1/2, so round 2's member has error 0.5 and is dropped
    X, y = np.zeros((50, 1)), np.r_[np.zeros(35, dtype=int), np.ones(15, dtype=int)]
    learner = DummyClassifier(strategy="most_frequent")
    ours = E.AdaBoostClassifier(learner, n_estimators=5).fit(X, y)
    ref = sklearn_samme(estimator=learner, n_estimators=5).fit(X, y)
    assert len(ours.estimators_) == len(ref.estimators_) == 1
    assert ours.sample_weights_.shape == (2, 50)
    np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_, rtol=1e-12)
    np.testing.assert_allclose(ours.sample_weights_[1][y == 1].sum(), 0.5)


def test_staged_curves_mark_rounds_and_size_curves_name_their_split():
    import matplotlib.pyplot as plt

    from course_utils import plotting as P

    rng = np.random.default_rng(1)
    fig = P.plot_staged_curves({"validation error": rng.random(5)}, ylabel="error", title="t",
                               vlines={"chosen on validation: 3 rounds": 3})
    ax = fig.axes[0]
    assert [line.get_linestyle() for line in ax.lines] == ["--", ":"]  # validation dashed, mark
    assert ax.lines[-1].get_xdata()[0] == 3
    assert "chosen on validation: 3 rounds" in [t.get_text() for t in ax.get_legend().get_texts()]
    fig = P.plot_ensemble_size_curves([1, 2], {"seeds": {k: rng.random((3, 2))
                                                         for k in ("hard", "soft", "member")}},
                                      ylabel="validation accuracy")
    assert fig.axes[0].get_ylabel() == "validation accuracy"
    plt.close("all")


# ---------------------------------------------------------------------------------------
# scikit-learn's behaviour: the differences the upstream ports found, one test per fix
# ---------------------------------------------------------------------------------------

ESTIMATORS = {
    "bagging": lambda: E.BaggingClassifier(DecisionTreeClassifier(max_depth=2), 3, random_state=0),
    "adaboost": lambda: E.AdaBoostClassifier(n_estimators=3, random_state=0),
    "torch": lambda: E.TorchMLPClassifier((4,), epochs=1, random_state=0),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_predicting_before_fit_raises_not_fitted_error(name, method):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="is not fitted yet"):
        getattr(ESTIMATORS[name](), method)(X_SMALL)


def test_adaboost_with_one_class_is_one_perfect_member_like_sklearn():
    X, y = X_SMALL, np.full(40, 7)
    ours = E.AdaBoostClassifier().fit(X, y)
    ref = sklearn_samme().fit(X, y)
    assert len(ours.estimators_) == len(ref.estimators_) == 1
    np.testing.assert_array_equal(ours.predict_proba(X), ref.predict_proba(X))  # ones, (40, 1)
    np.testing.assert_array_equal(ours.decision_function(X), ref.decision_function(X))
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("name", ["bagging", "torch"])
def test_one_class_fits_and_predicts_that_class(name):
    clf = ESTIMATORS[name]().fit(X_SMALL, np.full(40, "a"))
    np.testing.assert_array_equal(clf.predict(X_SMALL), np.full(40, "a"))
    np.testing.assert_allclose(clf.predict_proba(X_SMALL), np.ones((40, 1)))


def test_bagging_votes_with_members_without_predict_proba_like_sklearn():
    from sklearn.ensemble._bagging import _parallel_predict_proba
    from sklearn.linear_model import Perceptron
    from sklearn.svm import SVC

    X, y = classification(3, seed=11, n=120)
    for estimator in (SVC(), Perceptron(max_iter=20)):
        bag = E.BaggingClassifier(estimator, 5, random_state=0).fit(X, y)
        features = [np.arange(X.shape[1])] * 5
        expected = _parallel_predict_proba(bag.estimators_, features, X, 3) / 5  # vote shares
        np.testing.assert_allclose(bag.predict_proba(X), expected)
        np.testing.assert_array_equal(bag.predict(X), expected.argmax(axis=1))


def test_estimator_is_the_template_as_in_sklearn():
    from sklearn.linear_model import Perceptron

    template = Perceptron()
    assert E.BaggingClassifier(template, 2).fit(X_SMALL, Y_SMALL).estimator_ is template
    assert isinstance(E.BaggingClassifier(n_estimators=2).fit(X_SMALL, Y_SMALL).estimator_,
                      DecisionTreeClassifier)
    ada = E.AdaBoostClassifier(n_estimators=2).fit(X_SMALL, Y_SMALL)
    assert ada.estimator_.get_params() == DecisionTreeClassifier(max_depth=1).get_params()


@pytest.mark.parametrize("name", ["bagging", "adaboost"])
def test_predict_log_proba_is_the_log_of_predict_proba(name):
    clf = ESTIMATORS[name]().fit(X_SMALL, Y_SMALL)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(clf.predict_log_proba(X_SMALL), np.log(clf.predict_proba(X_SMALL)))


def test_adaboost_staged_score_and_feature_importances_match_sklearn():
    X, y = classification(3, seed=12)
    weight = np.random.default_rng(0).integers(1, 5, size=len(y))
    ours = E.AdaBoostClassifier(n_estimators=10, random_state=0).fit(X, y, sample_weight=weight)
    ref = sklearn_samme(n_estimators=10, random_state=0).fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(list(ours.staged_score(X, y, weight)),
                               list(ref.staged_score(X, y, weight)))
    assert list(ours.staged_score(X, y))[-1] == pytest.approx(ours.score(X, y))
    np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, rtol=1e-10)


def test_adaboost_feature_importances_need_members_that_have_them():
    from sklearn.svm import SVC

    ada = E.AdaBoostClassifier(SVC(), n_estimators=2).fit(X_SMALL, Y_SMALL)
    with pytest.raises(AttributeError, match="Unable to compute feature importances"):
        _ = ada.feature_importances_


def test_bagging_decision_function_only_when_the_members_have_one():
    from sklearn.svm import SVC

    assert not hasattr(E.BaggingClassifier(DecisionTreeClassifier()).fit(X_SMALL, Y_SMALL),
                       "decision_function")
    bag = E.BaggingClassifier(SVC(), 4, random_state=0).fit(X_SMALL, Y_SMALL)
    expected = np.mean([m.decision_function(X_SMALL) for m in bag.estimators_], axis=0)
    np.testing.assert_allclose(bag.decision_function(X_SMALL), expected)


class _RecordsFit(DummyClassifier):
    """A member that remembers what fit received (with or without sample_weight)."""

    def fit(self, X, y, sample_weight=None):
        self.X_seen_, self.sample_weight_seen_ = X, sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


class _NoWeights(DummyClassifier):
    def fit(self, X, y):
        self.X_seen_ = X
        return super().fit(X, y)


def test_bagging_draws_in_proportion_to_sample_weight_as_counts_or_rows():
    X, y = np.arange(100.0)[:, None], np.repeat([0, 1], 50)
    weight = np.zeros(100)
    weight[[4, 5, 60]] = [1.0, 2.0, 1.0]
    bag = E.BaggingClassifier(_RecordsFit(), 30, max_samples=20, random_state=0)
    bag.fit(X, y, sample_weight=weight)
    drawn = np.concatenate(bag.estimators_samples_)
    assert set(drawn) <= {4, 5, 60}
    assert abs(np.mean(drawn == 5) - 0.5) < 0.1  # weight 2 of 4
    for member, indices in zip(bag.estimators_, bag.estimators_samples_, strict=True):
        np.testing.assert_array_equal(member.X_seen_, X)  # all rows, counts as weights
        np.testing.assert_array_equal(member.sample_weight_seen_, np.bincount(indices, minlength=100))
    rows = E.BaggingClassifier(_NoWeights(), 3, max_samples=20, random_state=0)
    rows.fit(X, y, sample_weight=weight)
    for member, indices in zip(rows.estimators_, rows.estimators_samples_, strict=True):
        np.testing.assert_array_equal(member.X_seen_, X[indices])


def test_bagging_without_weights_fits_members_on_their_rows():
    bag = E.BaggingClassifier(_RecordsFit(), 3, random_state=0).fit(X_SMALL, Y_SMALL)
    for member, indices in zip(bag.estimators_, bag.estimators_samples_, strict=True):
        np.testing.assert_array_equal(member.X_seen_, X_SMALL[indices])
        assert member.sample_weight_seen_ is None


def test_bagging_float_max_samples_is_a_fraction_of_the_weight_sum():
    weight = np.full(40, 2.0)
    bag = E.BaggingClassifier(n_estimators=2, max_samples=0.5, random_state=0)
    bag.fit(X_SMALL, Y_SMALL, sample_weight=weight)
    assert [len(s) for s in bag.estimators_samples_] == [40, 40]  # 0.5 * sum(w) = 40
    bag.fit(X_SMALL, Y_SMALL)
    assert [len(s) for s in bag.estimators_samples_] == [20, 20]  # 0.5 * n
    bag.set_params(max_samples=60).fit(X_SMALL, Y_SMALL)  # an int may exceed n with replacement
    assert [len(s) for s in bag.estimators_samples_] == [60, 60]


def test_bagging_warns_about_few_fractional_draws():
    bag = E.BaggingClassifier(n_estimators=1, max_samples=1.0)
    with pytest.warns(UserWarning, match=r"max_samples=1.0 when the total sum of sample weights is "
                                         r"0.5 results in a low number \(1\) of bootstrap samples"):
        bag.fit(X_SMALL, Y_SMALL, sample_weight=np.full(40, 1 / 80))


def test_bagging_warns_that_weights_want_bootstrap():
    bag = E.BaggingClassifier(n_estimators=1, bootstrap=False)
    with pytest.warns(UserWarning, match="it is recommended to use bootstrap=True, got False"):
        bag.fit(X_SMALL, Y_SMALL, sample_weight=np.ones(40))


def test_bagging_warns_when_samples_have_no_out_of_bag_prediction():
    bag = E.BaggingClassifier(n_estimators=1, oob_score=True, random_state=0)
    with pytest.warns(UserWarning, match="Some inputs do not have OOB scores"):
        bag.fit(X_SMALL, Y_SMALL)
    unseen = np.isin(np.arange(40), bag.estimators_samples_[0])
    assert np.isnan(bag.oob_decision_function_[unseen]).all()
    assert not np.isnan(bag.oob_decision_function_[~unseen]).any()


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
def test_adaboost_warns_and_stops_when_weights_overflow_like_sklearn():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with pytest.warns(UserWarning, match="Sample weights have reached infinite values"):
        ours = E.AdaBoostClassifier(n_estimators=30, learning_rate=23.0, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="Sample weights have reached infinite values"):
        ref = sklearn_samme(n_estimators=30, learning_rate=23.0, random_state=0).fit(X, y)
    assert len(ours.estimators_) == len(ref.estimators_) < 30
    np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_, rtol=1e-10)
    assert ours.sample_weights_.shape == (len(ours.estimators_) + 1, len(y))
    np.testing.assert_allclose(ours.sample_weights_.sum(axis=1), 1.0)


def test_bagging_leaves_missing_values_to_its_members_and_takes_their_allow_nan_tag():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    X = X_SMALL.copy()
    X[::7, 1] = np.nan
    bag = E.BaggingClassifier(make_pipeline(SimpleImputer(), LogisticRegression()), 2, random_state=0)
    assert bag.fit(X, Y_SMALL).predict_proba(X).shape == (40, 2)
    assert E.BaggingClassifier(HistGradientBoostingClassifier()).__sklearn_tags__().input_tags.allow_nan
    assert not E.BaggingClassifier(LogisticRegression()).__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        E.BaggingClassifier(LogisticRegression(), 2).fit(X, Y_SMALL)


def test_adaboost_passes_n_dimensional_x_to_its_members():
    X, y = np.random.default_rng(0).normal(size=(30, 3, 3)), np.r_[np.zeros(20), np.ones(10)]
    ada = E.AdaBoostClassifier(DummyClassifier(strategy="most_frequent")).fit(X, y)
    assert ada.n_features_in_ == 3 and ada.predict_proba(X).shape == (30, 2)


def test_torch_integer_weights_equal_repeated_rows_only_up_to_float32_in_one_batch():
    # the deliberate difference behind the skipped check_sample_weight_equivalence (class Note)
    rng = np.random.default_rng(42)
    X, y = rng.random((15, 6)).astype(np.float32), rng.integers(0, 3, size=15)
    counts = rng.integers(0, 5, size=15)
    clf = E.TorchMLPClassifier((8,), epochs=5, batch_size=100, random_state=0)
    weighted = clone(clf).fit(X, y, sample_weight=counts).predict_proba(X)
    repeated = clone(clf).fit(X.repeat(counts, axis=0), y.repeat(counts)).predict_proba(X)
    np.testing.assert_allclose(weighted, repeated, atol=1e-6)


def test_plot_training_cost_relative_divides_by_the_first_time_and_draws_proportionality():
    import matplotlib.pyplot as plt

    from course_utils import plotting as P

    fig = P.plot_training_cost([1, 2, 4], {"small": [0.5, 0.6, 0.8], "large": [2.0, 4.0, 8.0]},
                               relative=True)
    (ax,) = fig.axes
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    np.testing.assert_allclose(lines["small"], [1.0, 1.2, 1.6])
    np.testing.assert_allclose(lines["large"], [1.0, 2.0, 4.0])
    np.testing.assert_allclose(lines["proportional to the members"], [1.0, 2.0, 4.0])
    assert ax.get_ylabel() == "training time / time of one member"
    plt.close(fig)


# ---------------------------------------------------------------------------------------
# many boosted MLP ensembles in lockstep; per-batch weight shares
# ---------------------------------------------------------------------------------------


def boosting_data(n: int = 90, n_classes: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    X, y = classification(n_classes, seed, n=n)
    return torch.from_numpy(X).float(), torch.from_numpy(y).long()


BOOST_SGD = dict(epochs=3, batch_size=30, lr=0.2)


def test_fit_boosted_mlps_follows_samme_round_on_its_members_predictions():
    x, y = boosting_data()
    boosted = E.fit_boosted_mlps([6, 8, 3], (x, y), n_rounds=4, learning_rate=[0.5], seed=[1],
                                 **BOOST_SGD)
    w = boosted.sample_weights[0, 0]
    np.testing.assert_allclose(w, np.full(len(y), 1 / len(y)))
    for m in range(4):
        predictions = E.member_probabilities([boosted.members[0][m]], x)[0].argmax(dim=-1)
        assert torch.equal(predictions, boosted.train_labels[0, m])
        new_w, alpha, error = E.samme_round(y, predictions, np.clip(w, np.finfo(float).eps, None),
                                            n_classes=3, learning_rate=0.5)
        assert boosted.estimator_weights[0, m] == pytest.approx(alpha)
        assert boosted.estimator_errors[0, m] == pytest.approx(error)
        np.testing.assert_allclose(boosted.sample_weights[0, m + 1], new_w.numpy())
        w = boosted.sample_weights[0, m + 1]


def test_fit_boosted_mlps_members_are_fit_batched_runs_with_the_ensembles_weights():
    from course_utils.batched import fit_batched

    x, y = boosting_data()
    boosted = E.fit_boosted_mlps([6, 8, 3], (x, y), n_rounds=2, learning_rate=[1.0], seed=[4],
                                 **BOOST_SGD)
    for m in range(2):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(4 * 100_003 + m)
            model = mlp([6, 8, 3])
        weights = torch.from_numpy(boosted.sample_weights[0, m]).float()[None]
        fit_batched([model], (x, y), seed=m, sample_weight=weights, eval_every=0, eval_train=False,
                    **BOOST_SGD)
        for ours, theirs in zip(boosted.members[0][m].parameters(), model.parameters(), strict=True):
            torch.testing.assert_close(ours, theirs)


def test_fit_boosted_mlps_ensembles_do_not_depend_on_what_they_are_batched_with():
    x, y = boosting_data()
    alone = E.fit_boosted_mlps([6, 8, 3], (x, y), n_rounds=3, learning_rate=[0.3], seed=[2],
                               **BOOST_SGD)
    together = E.fit_boosted_mlps([6, 8, 3], (x, y), n_rounds=3, learning_rate=[1.0, 0.3, 0.0],
                                  seed=[5, 2, 2], **BOOST_SGD)
    np.testing.assert_allclose(together.estimator_weights[1], alone.estimator_weights[0], rtol=1e-5)
    np.testing.assert_allclose(together.sample_weights[1], alone.sample_weights[0], rtol=1e-4)
    # same seed, any learning rate: the same first member
    assert torch.equal(together.train_labels[1, 0], together.train_labels[2, 0])


def test_fit_boosted_mlps_learning_rate_zero_is_an_unweighted_vote_of_independent_members():
    x, y = boosting_data()
    boosted = E.fit_boosted_mlps([6, 8, 3], (x, y), n_rounds=3, learning_rate=[0.0], seed=[0],
                                 **BOOST_SGD)
    np.testing.assert_allclose(boosted.sample_weights[0], np.full((4, len(y)), 1 / len(y)))
    np.testing.assert_array_equal(boosted.estimator_weights[0], [1.0, 1.0, 1.0])
    staged = boosted.staged_predict(x)
    labels = boosted.member_proba(x).argmax(dim=-1)
    for m in range(3):
        assert torch.equal(staged[0, m], E.hard_vote(labels[0, : m + 1], 3))


def test_boosted_staged_vote_is_the_alpha_weighted_hard_vote():
    x, y = boosting_data()
    boosted = E.fit_boosted_mlps([6, 8, 3], (x, y), n_rounds=3, learning_rate=[1.0, 0.1],
                                 seed=[0, 1], **BOOST_SGD)
    staged = boosted.staged_vote(boosted.train_labels)
    assert staged.shape == (2, 3, len(y))
    for k in range(2):
        for m in range(3):
            expected = E.hard_vote(boosted.train_labels[k, : m + 1], 3,
                                   weights=boosted.estimator_weights[k, : m + 1])
            assert torch.equal(staged[k, m], expected)
    with pytest.raises(ValueError, match=r"labels must have shape \(2, 3, n_samples\)"):
        boosted.staged_vote(boosted.train_labels[:1])


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(n_rounds=0), "n_rounds must be an integer >= 1, but got 0"),
    (dict(learning_rate=[-0.1]), "learning_rate must be a non-empty sequence of finite values >= 0"),
    (dict(learning_rate=[]), "learning_rate must be a non-empty sequence"),
    (dict(learning_rate=[0.1, 0.2], seed=[0]), r"seed must give one seed per learning rate \(2\), but got 1"),
])
def test_fit_boosted_mlps_rejects_bad_arguments(kwargs, message):
    x, y = boosting_data()
    settings = dict(n_rounds=2, learning_rate=[0.1], seed=[0], **BOOST_SGD)
    settings.update(kwargs)
    with pytest.raises(ValueError, match=message):
        E.fit_boosted_mlps([6, 8, 3], (x, y), **settings)


def test_fit_boosted_mlps_rejects_a_single_class():
    x = torch.randn(20, 6)
    with pytest.raises(ValueError, match="number of classes in train must be an integer >= 2"):
        E.fit_boosted_mlps([6, 4, 1], (x, torch.zeros(20, dtype=torch.long)), n_rounds=1,
                           learning_rate=[0.1], seed=[0], **BOOST_SGD)


def test_batch_weight_shares_uniform_weights_or_one_batch_give_the_normalized_weights():
    w = torch.rand(40, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 0.1
    torch.testing.assert_close(E.batch_weight_shares(torch.ones(40), 8), torch.full((40,), 1 / 40,
                                                                                  dtype=torch.float64))
    torch.testing.assert_close(E.batch_weight_shares(w, 40), w / w.sum())
    assert E.batch_weight_shares(w, 7, n_orders=5).sum().item() == pytest.approx(1.0)


def test_batch_weight_shares_caps_a_heavy_sample_at_one_batch():
    w = torch.ones(20, dtype=torch.float64)
    w[0] = 1000.0  # SAMME would give it 1000 / 1019 of the weight
    shares = E.batch_weight_shares(w, 5, n_orders=3)
    assert shares[0].item() < 1 / 4 and shares[0].item() > 0.99 / 4  # at most one batch of four


def test_batch_weight_shares_rejects_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, but got 0"):
        E.batch_weight_shares(torch.ones(4), 0)
    with pytest.raises(ValueError, match="n_orders must be an integer >= 1, but got 0"):
        E.batch_weight_shares(torch.ones(4), 2, n_orders=0)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        E.batch_weight_shares(torch.tensor([1.0, -1.0]), 1)
