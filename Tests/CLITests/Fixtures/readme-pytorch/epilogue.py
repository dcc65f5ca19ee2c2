# ---- after the README's block (run.sh) ----
# torch's float64 mean cross-entropy and parameter gradients of the model as the README left it
# (model.eval()), at the exported point: the float32 weights and batch cast up, as bpcheck's f64
# run of the file computes. Written to expected.json for run.sh's check.
import json as _json

import torch.nn.functional as _F

_m = model.double()
_loss = _F.cross_entropy(_m(x.double()), y)
_params = list(_m.named_parameters())
_grads = torch.autograd.grad(_loss, [p for _, p in _params])
with open("expected.json", "w") as _f:
    _json.dump({"loss_f64": _loss.item(),
                "gradients": {n: {"shape": list(g.shape), "values": g.flatten().tolist()}
                              for (n, _), g in zip(_params, _grads)}}, _f)
