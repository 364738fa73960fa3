// The network of examples/mnist-resnet, also timed by the benchmark (bench/norm.mjs):
//   stem     conv 3×3 (1→16) → BN → ReLU → max pool 2                          28×28 → 14×14
//   stage 1  [conv 3×3 → BN → ReLU → conv 3×3 → BN] + x → ReLU                 16 channels, 14×14
//   stage 2  same body, first conv stride 2; shortcut conv 1×1 stride 2 + BN   32 channels, 7×7
//   stage 3  same as stage 2                                                   64 channels, 4×4
//   head     global average pool → flatten → dense 10
// bn: false builds the same net without its BatchNorm layers (the convolutions then get biases).

/** The model, from simdnet's `nn`. */
export function mnistResnet(nn, { bn = true } = {}) {
  // conv k×k (+ BN): without BN the conv carries a bias; with BN the BN's shift replaces it.
  const convBn = (cin, cout, k, stride = 1) => [
    new nn.Conv2d(cin, cout, k, { stride, padding: (k - 1) / 2, bias: !bn }),
    ...(bn ? [new nn.BatchNorm2d(cout)] : []),
  ];
  // A basic residual block, then ReLU; the shortcut downsamples when the shape changes.
  const block = (cin, cout, stride) => [
    new nn.Residual(
      new nn.Sequential(...convBn(cin, cout, 3, stride), new nn.ReLU(), ...convBn(cout, cout, 3)),
      stride !== 1 || cin !== cout ? new nn.Sequential(...convBn(cin, cout, 1, stride)) : null,
    ),
    new nn.ReLU(),
  ];
  return new nn.Sequential(
    ...convBn(1, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    ...block(16, 16, 1),
    ...block(16, 32, 2),
    ...block(32, 64, 2),
    new nn.GlobalAvgPool2d(), new nn.Flatten(), new nn.Dense(64, 10),
  );
}
