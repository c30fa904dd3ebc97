"""The demo: every estimator with its defaults, one shared pretraining cache."""

from sklearn.cluster import KMeans

from skdeepcluster import all_estimators, demo


def test_demo_runs_every_estimator_with_its_defaults(monkeypatch, capsys):
    models = []

    def record(model, X, y):
        models.append(model)
        return {"acc": 0.0, "nmi": 0.0, "ari": 0.0, "seconds": 0.0}

    monkeypatch.setattr(demo, "evaluate", record)
    demo.main(["--seed", "3"])
    assert isinstance(models[0], KMeans)
    deep = models[1:]
    assert [type(m) for m in deep] == [cls for _, cls in all_estimators()]
    caches = set()
    for model in deep:
        params = model.get_params()
        defaults = type(model)(n_clusters=10, random_state=3).get_params()
        if "memory" in params:
            caches.add(params.pop("memory"))
            defaults.pop("memory")
        assert params == defaults
    assert len(caches) == 1 and None not in caches
    assert "Every estimator runs with its defaults" in capsys.readouterr().out
