"""Which stages of WebRTC's audio processing run on the microphone (issue 12).

The settings window, the bot's ``--no-audio-processing`` and the engine all speak this one value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AudioProcessingConfig:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain_control: bool = True
    high_pass_filter: bool = True

    @classmethod
    def off(cls) -> AudioProcessingConfig:
        return cls(echo_cancellation=False, noise_suppression=False, auto_gain_control=False, high_pass_filter=False)

    @property
    def any_on(self) -> bool:
        return self.echo_cancellation or self.noise_suppression or self.auto_gain_control or self.high_pass_filter
