// A residual block: body(x) + (shortcut ? shortcut(x) : x). The input feeds both branches, so
// its gradient is the sum of theirs (the tape adds at branches). The children are the
// attributes `body` and `shortcut`, so the state_dict names are PyTorch's for a module with those
// attributes: '3.body.0.weight', '3.shortcut.0.weight'.

import { Tensor, shapeError, shapeStr, sameShape } from '../tensor.js';
import { Module, type ModuleJSON } from './module.js';
import { add } from '../ops/add.js';

export class Residual extends Module {
  readonly body: Module;
  readonly shortcut: Module | null;

  constructor(body: Module, shortcut: Module | null = null) {
    super();
    if (!(body instanceof Module)) throw new Error(`Residual: body must be an nn.Module, got ${body === null ? 'null' : typeof body}`);
    if (shortcut !== null && shortcut !== undefined && !(shortcut instanceof Module)) {
      throw new Error(`Residual: shortcut must be an nn.Module (or left out for the identity), got ${typeof shortcut}`);
    }
    this.body = body;
    this.shortcut = shortcut ?? null;
  }

  forward(x: Tensor): Tensor {
    const y = this.body.forward(x);
    const s = this.shortcut ? this.shortcut.forward(x) : x;
    if (!sameShape(y._shape, s._shape)) {
      throw shapeError('Residual', `the body gives ${shapeStr(y._shape)} but the ${this.shortcut ? 'shortcut gives' : 'identity shortcut passes'} ${shapeStr(s._shape)}${this.shortcut ? '' : ' (give a shortcut that matches them)'}`, y._shape, s._shape);
    }
    return add(y, s);
  }

  override toJSON(): ModuleJSON {
    return { type: 'Residual', body: this.body.toJSON(), shortcut: this.shortcut ? this.shortcut.toJSON() : null };
  }
}
