"""Port of scikit-learn ``sklearn/ensemble/tests/test_bagging.py`` (BaggingClassifier tests).

Upstream: repository scikit-learn/scikit-learn, path sklearn/ensemble/tests/test_bagging.py,
the copy shipped in the installed scikit-learn 1.9.1 wheel (release tag 1.9.1; the wheel records
no git commit; the search index's copy at commit 0092620d396c3091a5dcb4230fd55282a2be720a is the
same file minus the 1.9 sample_weight tests).

Plumbing: ``BaggingClassifier`` -> ``impl.BaggingClassifier``; module-level data (and
test_gridsearch's in-place edit of iris.target) kept in upstream order. Two adaptations, both
only dropping parameters the package does not claim (the assertions are unchanged):
test_classification passes each grid point without ``max_features``/``bootstrap_features`` (so
the 16 (params, estimator) pairs and their max_samples/bootstrap values are upstream's);
test_estimator drops ``n_jobs=3``.

Skipped (not claimed by course_utils): regressor tests and BaggingRegressor halves; sparse input;
``max_features``/``bootstrap_features``/``estimators_features_`` (test_bootstrap_features,
test_bagging_with_pipeline, test_oob_score_consistency, test_estimators_samples,
test_estimators_samples_deterministic, test_max_samples_consistency,
test_bagging_small_max_features); ``n_jobs`` (test_parallel_classification); ``warm_start``
(test_warm_start*, test_oob_score_removed_on_warm_start); metadata routing
(test_bagging_with_metadata_routing, test_metadata_routing_with_dynamic_method_selection, the
metadata_routing=True cases of test_draw_indices_using_sample_weight).
"""

# ruff: noqa: SIM117, B905  (upstream's names and idioms, kept verbatim)

import re
from itertools import cycle

import numpy as np
import pytest
from _upstream_impl import impl, not_claimed
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_diabetes, load_iris
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Perceptron
from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils._testing import assert_allclose, assert_array_almost_equal

pytestmark = pytest.mark.upstream
BaggingClassifier = impl.BaggingClassifier
_CLAIMED = {"max_samples", "bootstrap"}

rng = check_random_state(0)

# also load the iris dataset
# and randomly permute it
iris = load_iris()
perm = rng.permutation(iris.target.size)
iris.data = iris.data[perm]
iris.target = iris.target[perm]

# also load the diabetes dataset
# and randomly permute it
diabetes = load_diabetes()
perm = rng.permutation(diabetes.target.size)
diabetes.data = diabetes.data[perm]
diabetes.target = diabetes.target[perm]

def test_classification():
    # Check classification for various parameter settings.
    rng = check_random_state(0)
    X_train, X_test, y_train, y_test = train_test_split(iris.data, iris.target, random_state=rng)
    grid = ParameterGrid(
        {
            "max_samples": [0.5, 1.0],
            "max_features": [1, 4],
            "bootstrap": [True, False],
            "bootstrap_features": [True, False],
        }
    )
    estimators = [
        None,
        DummyClassifier(),
        Perceptron(max_iter=20),
        DecisionTreeClassifier(max_depth=2),
        KNeighborsClassifier(),
        SVC(),
    ]
    # Try different parameter settings with different base classifiers without
    # doing the full cartesian product to keep the test durations low.
    for params, estimator in zip(grid, cycle(estimators)):
        params = {k: v for k, v in params.items() if k in _CLAIMED}  # port: unclaimed keys dropped
        BaggingClassifier(
            estimator=estimator,
            random_state=rng,
            n_estimators=2,
            **params,
        ).fit(X_train, y_train).predict(X_test)


@not_claimed("sparse input (test_sparse_classification); regressors (test_regression, "
             "test_sparse_regression, test_bootstrap_samples, test_oob_score_regression, "
             "test_single_estimator, test_parallel_regression, test_bagging_regressor_with_missing_inputs, "
             "test_bagging_get_estimators_indices)")
def test_sparse_and_regressor_tests():
    pass


@not_claimed("max_features / bootstrap_features / estimators_features_ (test_bootstrap_features, "
             "test_bagging_with_pipeline, test_oob_score_consistency, test_estimators_samples, "
             "test_estimators_samples_deterministic, test_max_samples_consistency, "
             "test_bagging_small_max_features)")
def test_feature_subsampling_tests():
    pass


def test_probability():
    # Predict probabilities.
    rng = check_random_state(0)
    X_train, X_test, y_train, y_test = train_test_split(iris.data, iris.target, random_state=rng)

    with np.errstate(divide="ignore", invalid="ignore"):
        # Normal case
        ensemble = BaggingClassifier(estimator=DecisionTreeClassifier(), random_state=rng).fit(
            X_train, y_train
        )

        assert_array_almost_equal(np.sum(ensemble.predict_proba(X_test), axis=1), np.ones(len(X_test)))

        assert_array_almost_equal(
            ensemble.predict_proba(X_test), np.exp(ensemble.predict_log_proba(X_test))
        )

        # Degenerate case, where some classes are missing
        ensemble = BaggingClassifier(
            estimator=LogisticRegression(), random_state=rng, max_samples=5
        ).fit(X_train, y_train)

        assert_array_almost_equal(np.sum(ensemble.predict_proba(X_test), axis=1), np.ones(len(X_test)))

        assert_array_almost_equal(
            ensemble.predict_proba(X_test), np.exp(ensemble.predict_log_proba(X_test))
        )


def test_oob_score_classification():
    # Check that oob prediction is a good estimation of the generalization
    # error.
    rng = check_random_state(0)
    X_train, X_test, y_train, y_test = train_test_split(iris.data, iris.target, random_state=rng)

    for estimator in [
        DecisionTreeClassifier(),
        CalibratedClassifierCV(SVC(), ensemble=False),
    ]:
        clf = BaggingClassifier(
            estimator=estimator,
            n_estimators=100,
            bootstrap=True,
            oob_score=True,
            random_state=rng,
        ).fit(X_train, y_train)

        test_score = clf.score(X_test, y_test)

        assert abs(test_score - clf.oob_score_) < 0.1

        # Test with few estimators
        warn_msg = (
            "Some inputs do not have OOB scores. This probably means too few "
            "estimators were used to compute any reliable oob estimates."
        )
        with pytest.warns(UserWarning, match=warn_msg):
            clf = BaggingClassifier(
                estimator=estimator,
                n_estimators=1,
                bootstrap=True,
                oob_score=True,
                random_state=rng,
            )
            clf.fit(X_train, y_train)


def test_error():
    # Test support of decision_function
    X, y = iris.data, iris.target
    base = DecisionTreeClassifier()
    assert not hasattr(BaggingClassifier(base).fit(X, y), "decision_function")


@not_claimed("n_jobs (test_parallel_classification)")
def test_parallel_classification():
    pass


def test_gridsearch():
    # Check that bagging ensembles can be grid-searched.
    # Transform iris into a binary classification task
    X, y = iris.data, iris.target
    y[y == 2] = 1

    # Grid search with scoring based on decision_function
    parameters = {"n_estimators": (1, 2), "estimator__C": (1, 2)}

    GridSearchCV(BaggingClassifier(SVC()), parameters, scoring="roc_auc").fit(X, y)


def test_estimator():
    # Check estimator and its default values.
    rng = check_random_state(0)

    # Classification
    X_train, X_test, y_train, y_test = train_test_split(iris.data, iris.target, random_state=rng)

    ensemble = BaggingClassifier(None, random_state=0).fit(X_train, y_train)  # port: n_jobs=3 dropped

    assert isinstance(ensemble.estimator_, DecisionTreeClassifier)

    ensemble = BaggingClassifier(DecisionTreeClassifier(), random_state=0).fit(X_train, y_train)

    assert isinstance(ensemble.estimator_, DecisionTreeClassifier)

    ensemble = BaggingClassifier(Perceptron(), random_state=0).fit(X_train, y_train)

    assert isinstance(ensemble.estimator_, Perceptron)
    # (Regression half: not claimed)


@not_claimed("warm_start (test_warm_start, test_warm_start_smaller_n_estimators, "
             "test_warm_start_equal_n_estimators, test_warm_start_equivalence, "
             "test_warm_start_with_oob_score_fails, test_oob_score_removed_on_warm_start)")
def test_warm_start_tests():
    pass


def test_warning_bootstrap_sample_weight():
    X, y = iris.data, iris.target
    sample_weight = np.ones_like(y)
    clf = BaggingClassifier(bootstrap=False)
    warn_msg = "When fitting BaggingClassifier with sample_weight it is recommended to use bootstrap=True"
    with pytest.warns(UserWarning, match=warn_msg):
        clf.fit(X, y, sample_weight=sample_weight)
    # (BaggingRegressor half: not claimed)


def test_invalid_sample_weight_max_samples_bootstrap_combinations():
    X, y = iris.data, iris.target

    # Case 1: small weights and fractional max_samples lead to a small
    # number of bootstrap samples, which raises a UserWarning.
    clf = BaggingClassifier(max_samples=1.0)
    sample_weight = np.ones_like(y) / (2 * len(y))
    expected_msg = (
        "Using the fractional value max_samples=1.0 when "
        r"the total sum of sample weights is 0.5(\d*) "
        r"results in a low number \(1\) of bootstrap samples. "
        "We recommend passing `max_samples` as an integer."
    )
    with pytest.warns(UserWarning, match=expected_msg):
        clf.fit(X, y, sample_weight=sample_weight)

    # Case 2: large weights and bootstrap=False would lead to sampling without
    # replacement more than the number of samples, which is not allowed.
    clf = BaggingClassifier(bootstrap=False, max_samples=1.0)
    sample_weight = np.ones_like(y)
    sample_weight[-1] = 2
    expected_msg = re.escape(
        "max_samples=151 must be <= n_samples=150 to be able to sample without replacement."
    )
    with pytest.raises(ValueError, match=expected_msg):
        with pytest.warns(UserWarning, match="When fitting BaggingClassifier with sample_weight"):
            clf.fit(X, y, sample_weight=sample_weight)


class EstimatorAcceptingSampleWeight(BaseEstimator):
    """Fake estimator accepting sample_weight"""

    def fit(self, X, y, sample_weight=None):
        """Record values passed during fit"""
        self.X_ = X
        self.y_ = y
        self.sample_weight_ = sample_weight

    def predict(self, X):
        pass


class EstimatorRejectingSampleWeight(BaseEstimator):
    """Fake estimator rejecting sample_weight"""

    def fit(self, X, y):
        """Record values passed during fit"""
        self.X_ = X
        self.y_ = y

    def predict(self, X):
        pass


@pytest.mark.parametrize("bagging_class", [BaggingClassifier])
@pytest.mark.parametrize("accept_sample_weight", [False, True])
@pytest.mark.parametrize("metadata_routing", [
    False, pytest.param(True, marks=not_claimed("metadata routing"))])
@pytest.mark.parametrize("max_samples", [10, 0.8])
def test_draw_indices_using_sample_weight(bagging_class, accept_sample_weight, metadata_routing, max_samples):
    X = np.arange(100).reshape(-1, 1)
    y = np.repeat([0, 1], 50)
    # all indices except 4 and 5 have zero weight
    sample_weight = np.zeros(100)
    sample_weight[4] = 1
    sample_weight[5] = 2
    if accept_sample_weight:
        base_estimator = EstimatorAcceptingSampleWeight()
    else:
        base_estimator = EstimatorRejectingSampleWeight()

    n_samples, n_features = X.shape

    if isinstance(max_samples, float):
        # max_samples passed as a fraction of the input data. Since
        # sample_weight are provided, the effective number of samples is the
        # sum of the sample weights.
        expected_integer_max_samples = int(max_samples * sample_weight.sum())
    else:
        expected_integer_max_samples = max_samples

    with config_context(enable_metadata_routing=metadata_routing):
        # TODO(slep006): remove block when default routing is implemented
        if metadata_routing and accept_sample_weight:
            base_estimator = base_estimator.set_fit_request(sample_weight=True)
        bagging = bagging_class(base_estimator, max_samples=max_samples, n_estimators=4)
        bagging.fit(X, y, sample_weight=sample_weight)
        for estimator, samples in zip(bagging.estimators_, bagging.estimators_samples_):
            counts = np.bincount(samples, minlength=n_samples)
            assert sum(counts) == len(samples) == expected_integer_max_samples
            # only indices 4 and 5 should appear
            assert np.isin(samples, [4, 5]).all()
            if accept_sample_weight:
                # sampled indices represented through weighting
                assert estimator.X_.shape == (n_samples, n_features)
                assert estimator.y_.shape == (n_samples,)
                assert_allclose(estimator.X_, X)
                assert_allclose(estimator.y_, y)
                assert_allclose(estimator.sample_weight_, counts)
            else:
                # sampled indices represented through indexing
                assert estimator.X_.shape == (expected_integer_max_samples, n_features)
                assert estimator.y_.shape == (expected_integer_max_samples,)
                assert_allclose(estimator.X_, X[samples])
                assert_allclose(estimator.y_, y[samples])


def test_set_oob_score_label_encoding():
    # Make sure the oob_score doesn't change when the labels change
    # See: https://github.com/scikit-learn/scikit-learn/issues/8933
    random_state = 5
    X = [[-1], [0], [1]] * 5
    Y1 = ["A", "B", "C"] * 5
    Y2 = [-1, 0, 1] * 5
    Y3 = [0, 1, 2] * 5
    x1 = BaggingClassifier(oob_score=True, random_state=random_state).fit(X, Y1).oob_score_
    x2 = BaggingClassifier(oob_score=True, random_state=random_state).fit(X, Y2).oob_score_
    x3 = BaggingClassifier(oob_score=True, random_state=random_state).fit(X, Y3).oob_score_
    assert [x1, x2] == [x3, x3]


def replace(X):
    X = X.astype("float", copy=True)
    X[~np.isfinite(X)] = 0
    return X


def test_bagging_classifier_with_missing_inputs():
    # Check that BaggingClassifier can accept X with missing/infinite data
    X = np.array(
        [
            [1, 3, 5],
            [2, None, 6],
            [2, np.nan, 6],
            [2, np.inf, 6],
            [2, -np.inf, 6],
        ]
    )
    y = np.array([3, 6, 6, 6, 6])
    classifier = DecisionTreeClassifier()
    pipeline = make_pipeline(FunctionTransformer(replace), classifier)
    pipeline.fit(X, y).predict(X)
    bagging_classifier = BaggingClassifier(pipeline)
    bagging_classifier.fit(X, y)
    y_hat = bagging_classifier.predict(X)
    assert y.shape == y_hat.shape
    bagging_classifier.predict_log_proba(X)
    bagging_classifier.predict_proba(X)

    # Verify that exceptions can be raised by wrapper classifier
    classifier = DecisionTreeClassifier()
    pipeline = make_pipeline(classifier)
    with pytest.raises(ValueError):
        pipeline.fit(X, y)
    bagging_classifier = BaggingClassifier(pipeline)
    with pytest.raises(ValueError):
        bagging_classifier.fit(X, y)


@pytest.mark.parametrize(
    "bagging, expected_allow_nan",
    [
        (BaggingClassifier(HistGradientBoostingClassifier(max_iter=1)), True),
        (BaggingClassifier(LogisticRegression()), False),
    ],
)
def test_bagging_allow_nan_tag(bagging, expected_allow_nan):
    """Check that bagging inherits allow_nan tag."""
    assert bagging.__sklearn_tags__().input_tags.allow_nan == expected_allow_nan


@not_claimed("metadata routing (test_bagging_with_metadata_routing, "
             "test_metadata_routing_with_dynamic_method_selection)")
def test_metadata_routing_tests():
    pass


@pytest.mark.parametrize(
    "model",
    [BaggingClassifier(estimator=impl.AdaBoostClassifier(n_estimators=1), n_estimators=1)],
)
def test_bagging_without_support_metadata_routing(model):
    """Make sure that we still can use an estimator that does not implement the
    metadata routing."""
    model.fit(iris.data, iris.target)
