"""Low-level helpers the Numba kernels need and Numba does not offer."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["float32_from_bits", "prefetch_row"]


@intrinsic
def prefetch_row(typingctx, arr, row):
    """Ask the CPU to start loading row ``row`` of the C-contiguous 2-D array ``arr``.

    Emits one ``llvm.prefetch`` (read, keep in all cache levels) per 64-byte line of the row. It
    is only a hint: it never faults and never changes a result, so ``row`` must merely be a
    valid row index for the hint to be useful.
    """
    if not (isinstance(arr, types.Array) and arr.ndim == 2 and isinstance(row, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        aryty, rowty = sig.args
        ary = context.make_array(aryty)(context, builder, args[0])
        intp = context.get_value_type(types.intp)
        zero = intp(0)
        r = context.cast(builder, args[1], rowty, types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [r, zero])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        base = builder.bitcast(ptr, i8p)
        n_cols = builder.extract_value(ary.shape, 1)
        n_bytes = builder.mul(n_cols, intp(aryty.dtype.bitwidth // 8))
        with cgutils.for_range_slice(builder, zero, n_bytes, intp(64)) as (offset, _):
            builder.call(fn, [builder.gep(base, [offset]), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, row), codegen


@intrinsic
def float32_from_bits(typingctx, bits):
    """The float32 whose IEEE-754 bit pattern is the low 32 bits of the integer ``bits``.

    Numba has no scalar bit cast; this one compiles to a register move, so loops that use it
    (the polynomial ``exp`` of the kernels) still vectorise.
    """
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        low = builder.trunc(args[0], ir.IntType(32)) if bits.bitwidth > 32 else args[0]
        return builder.bitcast(low, ir.FloatType())

    return types.float32(bits), codegen
