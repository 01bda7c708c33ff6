"""Absorbing-chain algebra: P(conversion), value flow and what removing states costs them.

With Q the transient-to-transient probabilities, r the one-step conversion probabilities,
v = r ⊙ (mean value per conversion) and p the START distribution, N = (I − Q)⁻¹ and

    P(conv) = p · N r,        value flow = p · N v.

Removing a set T of states (every transition into T goes to NULL) leaves the chain on the
kept states K, so P₋T(conv) = p_K · (I − Q_KK)⁻¹ r_K. Two routes compute this exactly (no
simulation), chosen by the number of states:

- direct (up to ``DIRECT_MAX_STATES``): one sparse LU of I − Q. For small T the loss is the
  Schur complement N[S, T] · N[T, T]⁻¹ · x_T (x = N r) from that one LU; for large T the
  reduced chain gets its own LU.
- iterative (larger chains): restarted GMRES on the transposed systems, solved to a relative
  residual of ``RTOL`` and checked. Large high-order chains (10,000 states of 100 channels
  at order 2) fill a sparse LU almost densely, while Krylov solves converge in a few dozen
  products with Q. A solve that does not converge falls back to a sparse LU.

:meth:`ChainAlgebra.probability_without` and :meth:`ChainAlgebra.value_without` give
P₋T(conv) and the value flow themselves (the Markov game of Shapley values asks for
them per coalition); removal effects use the loss, which keeps its digits when small.

The LU is a cache: it is dropped when the algebra is pickled (SuperLU objects cannot be)
and factorised again on first use after unpickling.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import numpy.typing as npt

from attribution.errors import JourneyError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Past this many states a sparse LU of I − Q fills in heavily; Krylov solves are cheaper.
DIRECT_MAX_STATES = 2_000
# Removal by the Schur complement needs |T| solves with the chain's LU; past this many
# states per channel one factorisation of the reduced chain is cheaper.
SCHUR_MAX_STATES = 64
# Relative residual the iterative route solves to: far below any reportable digit.
RTOL = 1e-12


class ChainAlgebra:
    """P(conversion) and value flow of an absorbing chain, and their loss without some states.

    Parameters
    ----------
    q
        Transient-to-transient transition probabilities (n × n, sparse).
    r, r_value
        Per state: probability of converting next, and that times the mean value per conversion.
    p_start
        The distribution of the first state.
    """

    def __init__(self, q: Any, r: FloatArray, r_value: FloatArray, p_start: FloatArray) -> None:
        import scipy.sparse as sp  # imported on first use: scipy.sparse is slow to import

        self.n = len(r)
        self.r = r
        self.r_value = r_value
        self.p_start = p_start
        self.a = sp.csc_array(sp.identity(self.n, format="csc") - q)
        self.direct = self.n <= DIRECT_MAX_STATES
        self._lu: Any = None
        if self.n == 0:
            self.n_start = np.zeros(0)
        elif self.direct:
            lu = self._factorised()
            self.x = lu.solve(r)  # P(conv) from each state
            self.x_value = lu.solve(r_value)  # value flow from each state
            self.n_start = lu.solve(p_start, trans="T")  # N[S, ·]: expected visits from START
        else:
            self._at = sp.csr_array(self.a.T)
            self._diagonal = self._at.diagonal()  # Jacobi preconditioner, shared by every solve
            self.n_start = self._solve_transposed(None, p_start)
        self.conversion_probability = float(self.n_start @ r) if self.n else 0.0
        self.value_flow = float(self.n_start @ r_value) if self.n else 0.0
        for solved in (getattr(self, "x", None), getattr(self, "x_value", None), self.n_start):
            if solved is not None:
                solved.setflags(write=False)  # shared with callers: read-only

    def _factorised(self) -> Any:
        """The sparse LU of I − Q, factorised on first use (again after unpickling)."""
        if self._lu is None:
            self._lu = _splu(self.a)
        return self._lu

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_lu"] = None  # a solver cache, and SuperLU cannot be pickled: rebuilt on demand
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def loss_without(self, members: IntArray) -> tuple[float, float]:
        """P(conv) and value flow lost when the states ``members`` are removed."""
        if members.size == 0 or self.n == 0:
            return 0.0, 0.0
        if members.size == self.n:
            return self.conversion_probability, self.value_flow
        if not self.direct:
            keep = np.ones(self.n, dtype=bool)
            keep[members] = False
            visits = self._solve_transposed(keep, np.where(keep, self.p_start, 0.0))
            return self._kept_loss(visits)
        if members.size <= SCHUR_MAX_STATES and 4 * members.size <= self.n:
            # few removed states: |T| solves with the chain's one LU beat a new factorisation
            return self._loss_by_schur(members)
        keep = np.ones(self.n, dtype=bool)
        keep[members] = False
        return self._kept_loss(self._direct_transposed(keep, self.p_start))

    def probability_without(self, states: IntArray) -> float:
        """P(conv) of the chain with ``states`` removed (every transition into them goes to NULL).

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> q = sp.csr_array(np.array([[0.0, 0.5], [0.0, 0.0]]))
        >>> algebra = ChainAlgebra(q, np.array([0.25, 0.5]), np.array([2.5, 5.0]), np.array([1.0, 0.0]))
        >>> algebra.conversion_probability, algebra.probability_without(np.array([1]))
        (0.5, 0.25)
        """
        return self._without(np.asarray(states, dtype=np.int64))[0]

    def value_without(self, states: IntArray) -> float:
        """Value flow of the chain with ``states`` removed (as :meth:`probability_without`).

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> q = sp.csr_array(np.array([[0.0, 0.5], [0.0, 0.0]]))
        >>> algebra = ChainAlgebra(q, np.array([0.25, 0.5]), np.array([2.5, 5.0]), np.array([1.0, 0.0]))
        >>> algebra.value_flow, algebra.value_without(np.array([1]))
        (5.0, 2.5)
        """
        return self._without(np.asarray(states, dtype=np.int64))[1]

    def _without(self, members: IntArray) -> tuple[float, float]:
        """P(conv) and value flow of the reduced chain (never below zero: rounding is clipped)."""
        members = np.unique(members)
        if members.size and (members[0] < 0 or members[-1] >= self.n):
            raise IndexError(f"state ids must be in [0, {self.n}); got {int(members[0])}..{int(members[-1])}")
        if members.size == 0 or self.n == 0:
            return self.conversion_probability, self.value_flow
        if members.size == self.n:
            return 0.0, 0.0
        lost, lost_value = self.loss_without(members)
        return max(self.conversion_probability - lost, 0.0), max(self.value_flow - lost_value, 0.0)

    def _kept_loss(self, visits: FloatArray) -> tuple[float, float]:
        """The loss given expected visits (zero on removed states) of the reduced chain."""
        return self.conversion_probability - float(visits @ self.r), self.value_flow - float(visits @ self.r_value)

    def _loss_by_schur(self, members: IntArray) -> tuple[float, float]:
        """N[S,T] N[T,T]⁻¹ x_T from the chain's one LU (N[·, T] by |T| solves)."""
        rhs = np.zeros((self.n, members.size))
        rhs[members, np.arange(members.size)] = 1.0
        block = self._factorised().solve(rhs)[members]  # N[T, T]
        weights = np.linalg.solve(block.T, self.n_start[members])  # N[T,T]^-T N[S,T]^T
        return float(weights @ self.x[members]), float(weights @ self.x_value[members])

    def _direct_transposed(self, keep: npt.NDArray[np.bool_] | None, b: FloatArray) -> FloatArray:
        """(I − Q_KK)⁻ᵀ b_K by a sparse LU, scattered back to full length (zero off K)."""
        index = np.arange(self.n) if keep is None else np.flatnonzero(keep)
        out = np.zeros(self.n)
        if index.size:
            lu: Any = _splu(self.a[index][:, index].tocsc())  # the stubs miss solve's ``trans``
            out[index] = lu.solve(b[index], trans="T")
        return out

    def _solve_transposed(self, keep: npt.NDArray[np.bool_] | None, b: FloatArray) -> FloatArray:
        """(I − Q_KK)ᵀ m = b_K by GMRES on the full-length masked operator; LU if it stalls.

        Rows of removed states become identity rows with a zero right-hand side, so m is
        zero there and the kept block is exactly the reduced system.
        """
        from scipy.sparse.linalg import LinearOperator, gmres

        at = self._at
        if keep is None:
            operator: Any = at
            guess = None
        else:
            mask = keep.astype(np.float64)
            removed = 1.0 - mask

            def matvec(y: FloatArray) -> FloatArray:
                # I − K Qᵀ K = K (I − Q)ᵀ K + (I − K): (I − Q)ᵀ restricted to K, identity elsewhere
                y = np.asarray(y).ravel()
                result: FloatArray = mask * (at @ (mask * y)) + removed * y
                return result

            operator = LinearOperator((self.n, self.n), matvec=matvec, dtype=np.float64)
            guess = self.n_start * mask
        diagonal = self._diagonal
        if keep is not None:
            diagonal = np.where(keep, diagonal, 1.0)
        jacobi = LinearOperator((self.n, self.n), matvec=lambda y: np.asarray(y).ravel() / diagonal, dtype=np.float64)
        solve: Any = gmres  # scipy < 1.12 calls the relative tolerance tol, not rtol (the stubs know only rtol)
        tolerance = "rtol" if "rtol" in inspect.signature(gmres).parameters else "tol"
        solution, info = solve(operator, b, x0=guess, atol=0.0, restart=60, maxiter=200, M=jacobi, **{tolerance: RTOL})
        residual = np.linalg.norm(operator @ solution - b)
        if info != 0 or not residual <= 100 * RTOL * max(float(np.linalg.norm(b)), 1e-300):
            return self._direct_transposed(keep, b)  # Krylov stalled: exact by factorisation instead
        out: FloatArray = np.asarray(solution, dtype=np.float64)
        return out


def _splu(a: Any) -> Any:
    """The sparse LU of a CSC matrix. SuperLU indexes with C ints: scipy >= 1.12 downcasts int64
    indices itself, scipy 1.11 raises ``TypeError: rowind and colptr must be of type cint``."""
    from scipy.sparse.linalg import splu

    if a.indices.dtype != np.intc or a.indptr.dtype != np.intc:
        if a.nnz > np.iinfo(np.intc).max:
            raise JourneyError(
                "a Markov chain with more than 2**31 - 1 nonzero transitions is too large to factorise. "
                "Fix: use a lower order, or shorten paths with journeys.last_touches(k)."
            )
        a = a.copy()
        a.indices = a.indices.astype(np.intc)
        a.indptr = a.indptr.astype(np.intc)
    return splu(a)
