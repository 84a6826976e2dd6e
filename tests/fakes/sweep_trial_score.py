"""What a sweep trial's emulated training reaches in the cloud fakes (aws_fake's Batch array
children, vertex_fake's tuning trials): a smooth, deterministic function of the trial's values,
best near lr = 0.01, so that trials differ and one of them is the best."""
import math


def trial_score(values):
    score = 0.5
    for name in sorted(values):
        try:
            x = float(values[name])
        except (TypeError, ValueError):
            score += 0.001 * len(str(values[name]))
            continue
        if name == "lr" and x > 0:
            score += 0.4 * math.exp(-(math.log10(x) + 2) ** 2)
        else:
            score += 0.0001 * x
    return round(score, 6)
