#!/usr/bin/env python3
"""The softmax family's exponential polynomial (assembly/math.ts S1..S5), and its error.

Fits (e^t - 1)/t ~ Q(t) = S1 + S2 t + S3 t^2 + S4 t^3 + S5 t^4 minimising the maximum relative
error of e^t ~ 1 + t Q(t) on |t| <= ln2/2 (+0.05%: the reduction's t can land a hair outside), as
a linear programme on a dense grid, rounds the coefficients to float32, then runs math.ts's exact
sequence of float32 operations (expShiftf) over z in [-87.33, 0] against float64 exp.
Run: python3 scripts/fit-softmax-exp.py (numpy, scipy). Not needed by the tests.
"""
import numpy as np
from scipy.optimize import linprog

f = np.float32
L = float(np.log(2) / 2)
t = np.linspace(-L * 1.0005, L * 1.0005, 20001)
A = np.stack([t ** k for k in range(1, 6)], axis=1)
e = np.exp(t)
a_ub = np.vstack([np.hstack([A, -e[:, None]]), np.hstack([-A, -e[:, None]])])
b_ub = np.concatenate([e - 1, 1 - e])
res = linprog(np.r_[np.zeros(5), 1], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * 5 + [(0, None)], method='highs')
S = res.x[:5].astype(f)
print(f'fit: max relative error {res.x[5]:.3e}')
for i, c in enumerate(S, 1):
    print(f'const S{i}: f32 = {float(c)!r};')

LOG2E, MAGIC = f(1.4426950216293335), f(12583039.0)
LN2_HI, LN2_LO = f(0.693145751953125), f(1.428606765330187e-6)
z = np.concatenate([np.linspace(-87.33, 0, 4_000_001), -np.random.default_rng(1).random(2_000_000) * 87.33]).astype(f)
n = z * LOG2E + MAGIC
s = (n.view(np.int32) << 23).view(f)
n = n - MAGIC
tt = z - n * LN2_HI
tt = tt - n * LN2_LO
p = S[4] * tt + S[3]
p = p * tt + S[2]
p = p * tt + S[1]
p = p * tt + S[0]
y = (tt * s) * p + s
ref = np.exp(z.astype(np.float64))
rel = np.abs(y.astype(np.float64) - ref) / ref
i = int(np.argmax(rel))
print(f'float32 evaluation, z in [-87.33, 0]: max relative error {rel[i]:.3e} at z = {z[i]}')
