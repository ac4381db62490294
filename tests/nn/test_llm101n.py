"""LLM101n's micrograd program (EurekaLabsAI/micrograd), written with this library.

Its yin-yang data from RNG(42), an MLP(2, [8, 3]) with tanh hidden neurons and
weights uniform(-1, 1) * nin**-0.5 from the same generator, cross-entropy,
AdamW(lr=0.1, betas=(0.9, 0.95), weight_decay=1e-4), 100 steps, the validation
loss every 10 steps. The numbers below are the ones that program prints.
"""

from __future__ import annotations

import pytest

from micrograd_nn import RNG, cross_entropy_loss, make_yinyang, measure, split_dataset
from tests.helpers import llm101n

TRAIN = [
    1.0122152826497561,
    0.8466614840586785,
    0.7433865082961447,
    0.6868202269118524,
    0.6515520845360222,
    0.630044141633878,
    0.6247095032823519,
    0.6286672963464068,
    0.62707296059558,
    0.619530801607749,
    0.6091342764823507,
    0.5958341893207659,
    0.5800711015500071,
    0.5645628818320895,
    0.5504759523809831,
    0.5369622712040265,
    0.5243386552758076,
    0.5129766115384861,
    0.5009962682746448,
    0.48672654816774563,
    0.4713031191471069,
    0.4566028729759271,
    0.4427677688001766,
    0.4290353188168619,
    0.41506058394349366,
    0.40164543100259203,
    0.38939736909016726,
    0.3780452510787459,
    0.3670635952721153,
    0.3560602642166606,
    0.3446979931761303,
    0.3329158399673584,
    0.32118024292446196,
    0.3100572434321388,
    0.29974948389658007,
    0.2902058389822373,
    0.2811966625839245,
    0.2725343778127008,
    0.2643288649114239,
    0.25671761822589745,
    0.249634052114352,
    0.2428862499098036,
    0.23623090952698972,
    0.22957884663301054,
    0.22309137346291644,
    0.21692647043634172,
    0.21113746021808746,
    0.20570710995160005,
    0.2006225620361405,
    0.19590229292912958,
    0.19141225066846226,
    0.18688989129828132,
    0.18214273292565555,
    0.17719375347282723,
    0.17215965246373993,
    0.16709895703697816,
    0.16211184742582924,
    0.1573189271453426,
    0.15277663866869295,
    0.14846082782444586,
    0.1443598307505653,
    0.14042285035300164,
    0.13654129544879398,
    0.13265774669196737,
    0.12882699180555365,
    0.12507441850698264,
    0.12137947286154521,
    0.11772668584705692,
    0.11406127114987591,
    0.11032670970909937,
    0.10651710069280217,
    0.10261155917142549,
    0.09868490142734056,
    0.09489973645087302,
    0.0913226865376984,
    0.08796269034327464,
    0.08481970213963966,
    0.08188051260284646,
    0.07908035734329118,
    0.07637549863944972,
    0.07376563141068336,
    0.07124313722630733,
    0.06881293026449219,
    0.06648412130674769,
    0.06421620756838047,
    0.062022903725255485,
    0.05988871493823428,
    0.05781270209433514,
    0.055813354268858695,
    0.05388187464527525,
    0.052036315448364734,
    0.05027592546524115,
    0.048607521296437695,
    0.047022632484299984,
    0.045514306885205504,
    0.044080745223804306,
    0.04271279336481753,
    0.041414463113167516,
    0.040185244398747266,
    0.03906091113485444,
]
VAL = [
    1.0538977419739777,
    0.7814082833129071,
    0.5037917666754965,
    0.41782112398617266,
    0.28610776350732836,
    0.218477888301859,
    0.1762664165644251,
    0.13339860885640417,
    0.09469489765540884,
    0.07872357416386395,
]


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
def test_prints_llm101ns_losses(compile: bool) -> None:  # noqa: A002
    records, _ = llm101n(compile=compile)
    assert records[0].train_loss == pytest.approx(1.0122152826497561, rel=1e-10)
    assert records[99].train_loss == pytest.approx(0.03906091113485444, rel=1e-10)
    assert [r.train_loss for r in records] == pytest.approx(TRAIN, rel=1e-10)
    val = [(r.step, r.val_loss) for r in records if r.val_loss is not None]
    assert [step for step, _ in val] == list(range(1, 100, 10))
    assert [loss for _, loss in val] == pytest.approx(VAL, rel=1e-10)


def test_compiled_and_eager_runs_agree_to_1e_12() -> None:
    # compiled: one example's graph replayed over the batch, its sums over the
    # examples added in another order
    eager, eager_model = llm101n(compile=False)
    compiled, compiled_model = llm101n(compile=True)
    assert [r.train_loss for r in compiled] == pytest.approx(
        [r.train_loss for r in eager], rel=1e-12
    )
    val = [r.val_loss for r in eager if r.val_loss is not None]
    assert [r.val_loss for r in compiled if r.val_loss is not None] == pytest.approx(val, rel=1e-12)
    assert [r.train_accuracy for r in compiled] == [r.train_accuracy for r in eager]
    assert [r.val_accuracy for r in compiled] == [r.val_accuracy for r in eager]
    assert [p.data for p in compiled_model.parameters()] == pytest.approx(
        [p.data for p in eager_model.parameters()], rel=1e-12
    )


def test_the_test_loss_after_training_is_llm101ns() -> None:
    _, model = llm101n(compile=True)
    X, y = make_yinyang(100, rng=RNG(42))
    *_, test_split = split_dataset(X, y)
    loss, accuracy = measure(model, cross_entropy_loss, test_split)
    # LLM101n's loss_fun(model, test_split) after its loop gives 0.123965562341194
    assert loss == pytest.approx(0.123965562341194, rel=1e-10)
    assert accuracy == 0.9  # 9 of its 10 test points
