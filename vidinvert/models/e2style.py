"""E2Style's multi-stage inversion encoder (wty-ustc/e2style), parameter for parameter.

Checkpoint `{'state_dict', 'opts', 'latent_avg' (18,512)}` with prefixes `encoder_firststage.`,
`encoder_refinestage_list.{i}.` and `decoder.` (the 1024 px rosinality generator). Every stage is an
IR-SE50 encoder (`input_layer` reading `opts['input_nc']` channels for the first stage, 6 for the
refine stages; the 24 `body` units, of which units 0..20 run) with three heads, each
BN -> AdaptiveAvgPool(7) -> flatten -> Linear, reading the output of one body unit:

    output_layer_3: unit 20 (256 ch) -> latents 0..8
    output_layer_4: unit 6  (128 ch) -> latents 9..13
    output_layer_5: unit 2  (64 ch)  -> latents 14..17

Inference (stored noise, as the official inference script runs): stage 1 gives
`latent_avg + E1(x)`; refine stage k adds `Ek(x ‖ pool256(image of stage k-1))` to the latents.
"""

from __future__ import annotations

import torch
from torch import nn

from vidinvert.errors import VidinvertError
from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.ir_se import ir_se50_body, ir_se_input_layer

E2STYLE_INPUT_SIZE = 256
E2STYLE_POOL = 7
E2STYLE_STYLE_DIM = 512
#: (head name, body unit it reads, that unit's channels, latents it predicts), in output order.
E2STYLE_HEADS = (("output_layer_3", 20, 256, 9), ("output_layer_4", 6, 128, 5), ("output_layer_5", 2, 64, 4))
E2STYLE_N_STYLES = sum(head[3] for head in E2STYLE_HEADS)
E2STYLE_REFINE_CHANNELS = 6
#: `opts['dataset_type']` of the inversion checkpoints; the other E2Style tasks map other inputs.
E2STYLE_INVERSION_DATASET = "ffhq_encode"


class E2StyleStage(nn.Module):
    """One stage (official `BackboneEncoderFirstStage` / `BackboneEncoderRefineStage`)."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.input_layer = ir_se_input_layer(in_channels)
        self.body = ir_se50_body()
        for name, _, channels, n_latents in E2STYLE_HEADS:
            setattr(self, name, nn.Sequential(
                nn.BatchNorm2d(channels), nn.AdaptiveAvgPool2d(E2STYLE_POOL), nn.Flatten(),
                nn.Linear(channels * E2STYLE_POOL ** 2, E2STYLE_STYLE_DIM * n_latents)))
        self.last_unit = max(head[1] for head in E2STYLE_HEADS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, 256, 256) -> (B, 18, 512)."""
        taps = {}
        x = self.input_layer(x)
        for index, unit in enumerate(self.body[: self.last_unit + 1]):
            x = unit(x)
            taps[index] = x
        parts = [getattr(self, name)(taps[unit]).view(len(x), n_latents, E2STYLE_STYLE_DIM)
                 for name, unit, _, n_latents in E2STYLE_HEADS]
        return torch.cat(parts, dim=1)


class E2StyleEncoder(InversionEncoder):
    """A first stage plus `n_refine` refine stages; `n_stages` = 1 + n_refine.

    Cold, step s (1-based) runs stage s; warm (from a previous result), step s runs refine stage
    s: the refine stages were trained to correct the previous stage's answer for the same image,
    and a warm start hands them the previous frame's latents and image instead.
    """

    kind = "e2style"

    def __init__(self, n_refine: int, input_channels: int = 3, input_size: int = E2STYLE_INPUT_SIZE) -> None:
        super().__init__(E2STYLE_N_STYLES, input_channels, input_size, None)
        self.encoder_firststage = E2StyleStage(input_channels)
        self.encoder_refinestage_list = nn.ModuleList(E2StyleStage(E2STYLE_REFINE_CHANNELS) for _ in range(n_refine))

    @property
    def n_stages(self) -> int:
        return 1 + len(self.encoder_refinestage_list)

    @property
    def residual(self) -> bool:
        """True when refine stages exist: they read the target beside a reconstruction and add a step."""
        return self.n_stages > 1

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        """The first stage: (B, 3, 256, 256) -> W+ offset from the average latent (B, 18, 512)."""
        return self.encoder_firststage(x), None

    def stages(self, steps: int, warm: bool) -> range:
        first = 1 if warm and self.residual else 0
        if first + steps > self.n_stages:
            start = "from a previous result" if first else "cold"
            raise VidinvertError(
                f"this E2Style file has {self.n_stages} stages ({self.n_stages - 1} refine stages), so an "
                f"inversion {start} runs at most {self.n_stages - first} steps, not {steps}")
        return range(first, first + steps)

    def advance(self, target, state, stage, start, render):
        if stage == 0:
            return start + self.encoder_firststage(target), None, None
        refine = self.encoder_refinestage_list[stage - 1]
        return state.wplus + refine(torch.cat([target, self.prepare(state.image)], dim=1)), None, None
