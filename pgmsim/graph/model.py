"""The model graph: node declaration, validation and topological order."""

from __future__ import annotations

import networkx as nx

from .. import factorize, simulate
from ..distributions.joint import JointDistribution
from ..distributions.multivariate import MultivariateDistribution
from ..fit.posterior import Posterior
from .declaration import (check_distribution, check_name, check_parents, checked_label,
                          function_node, function_parents, joint_labels,
                          vector_shape)
from .nodes import ModelError, Node, NodeKind
from .plates import PlateDeclarations
from .units import declared_unit, declared_units

__all__ = ["Model", "ModelError"]


class Model(PlateDeclarations):
    """A probabilistic graphical model: one graph, four uses.

    Declare nodes with :meth:`param`, :meth:`fixed`, :meth:`deterministic`,
    :meth:`data` and :meth:`factor`; then :meth:`simulate` mock data, write the joint density with
    :meth:`factorization`, draw the PGM with :meth:`render` and fit with
    :meth:`posterior`.

    Parameters
    ----------
    name : str
        Name of the model, used in titles and file metadata.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> m.param("lam", pg.Gamma(2.0, 1.0))
    'lam'
    >>> m.data("N", pg.Poisson("lam"), plate="obs")
    'N'
    >>> print(m.factorization())
    p(lam, {N_k}) = p(lam) prod_k p(N_k | lam)
    """

    def __init__(self, name="model"):
        self.name = name
        self.graph = nx.DiGraph()
        self.plates = {}
        self._joint = {}  # parameter name -> names sharing its joint prior

    # ------------------------------------------------------------------
    # declaration
    def param(self, name, prior, plate=None, shape=None, unit=None, label=None):
        """Declare a parameter with its prior.

        Several parameters with one joint prior are declared together, with a
        tuple of names: ``m.param(("x0", "y0"), pg.MapPrior(image, extent))``
        declares two parameter nodes whose prior is the single factor
        ``p(x0, y0)``.

        Parameters
        ----------
        name : str or tuple of str
            Node name, or the names of the parameters of a joint prior.
        prior : Distribution
            A continuous distribution; its arguments may name other nodes
            (hierarchical priors). For a tuple of names, a
            :class:`~pgmsim.distributions.joint.JointDistribution` over as many
            variables.
        plate : str, optional
            Plate on which the parameter is a vector (e.g. per-source fluxes);
            not available for joint priors.
        shape : int or tuple of one int, optional
            ``D`` makes a vector of ``D`` entries on no plate (regression
            coefficients): a univariate prior applies to each entry, a
            multivariate one (:class:`~pgmsim.MultivariateNormal`,
            :class:`~pgmsim.Dirichlet`) to the whole vector, whose length it
            gives when ``shape`` is omitted. Functions receive it with shape
            ``(D,)``, or ``(nwalkers, D)`` in a batch.
        unit : str or astropy.units.UnitBase or tuple, optional
            Unit of its values (``"ct / (s cm2)"``), one per name for a joint
            prior: Quantity values are converted to it (see
            :func:`pgmsim.graph.units.plain_value`) and it labels summaries
            and plots.
        label : str or tuple of str, optional
            LaTeX label (one per name for a joint prior); guessed from the
            name by default.

        Returns
        -------
        str or tuple of str
            The node name(s).

        Raises
        ------
        ModelError
            Duplicate name, unknown parent, missing or discrete prior, plate
            mismatch, unreadable unit, a shape that is not a positive integer,
            a shape with a plate, a multivariate prior of another length or
            unusable (a covariance not positive definite); for a joint prior, a number of names that differs from
            the prior's number of variables, or an invalid prior (e.g. a prior
            map with negative values), the message naming the parameters.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("population")
        >>> m.param("mu_pop", pg.Uniform(0, 10))
        'mu_pop'
        >>> m.param("F", pg.Normal("mu_pop", 1.0), plate="sources")  # hierarchical
        'F'
        >>> m.node("F").parents
        ('mu_pop',)
        >>> m.param("beta", pg.Normal(0, 10), shape=3)   # a vector on no plate
        'beta'
        """
        if not isinstance(name, str) or isinstance(prior, JointDistribution):
            if shape is not None:
                raise ModelError(f"parameters {name!r}: a joint prior takes no shape=")
            return self._joint_param(name, prior, plate, unit, label)
        if prior is None:
            raise ModelError(f"parameter {name!r} needs a prior distribution")
        check_distribution(name, prior, "prior")
        if prior.discrete:
            raise ModelError(
                f"parameter {name!r}: the prior {prior.text()} is discrete; "
                "parameters are sampled with emcee and must be continuous"
            )
        shape = vector_shape(name, prior, plate, shape)
        return self._add(
            Node(name, NodeKind.PARAMETER, checked_label(name, label), plate,
                 distribution=prior, parents=prior.parents, unit=declared_unit(name, unit),
                 shape=shape)
        )

    def _joint_param(self, names, prior, plate, unit, label):
        """Declare the parameters of a joint prior (see :meth:`param`)."""
        names = (names,) if isinstance(names, str) else names
        labels = joint_labels(names, prior, plate, label)
        units = declared_units(names, unit)
        for name in names:
            check_name(self.graph, name)
        for name, lab, one_unit in zip(names, labels, units):
            self._add(Node(name, NodeKind.PARAMETER, checked_label(name, lab), None,
                           distribution=prior, parents=prior.parents, unit=one_unit))
            self._joint[name] = names
        return names

    def prior_group(self, name):
        """The parameters that share ``name``'s prior, in declaration order.

        Parameters
        ----------
        name : str
            A parameter node.

        Returns
        -------
        tuple of str
            ``(name,)`` for an ordinary prior; all the parameters of a joint
            prior (e.g. ``("x0", "y0")`` for a :class:`~pgmsim.MapPrior`).

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("located")
        >>> m.param(("x0", "y0"), pg.MapPrior(np.ones((4, 4)), (0, 40, 0, 40)))
        ('x0', 'y0')
        >>> m.param("F", pg.LogUniform(1e-3, 1))
        'F'
        >>> m.prior_group("y0"), m.prior_group("F")
        (('x0', 'y0'), ('F',))
        """
        return self._joint.get(name, (name,))

    def fixed(self, name, plate=None, unit=None, label=None):
        """Declare a fixed input, supplied at simulate/fit time.

        Examples are exposure maps, pixel coordinates and PSF kernels; the
        factorization conditions on them.

        Parameters
        ----------
        name : str
            Node name, a Python identifier: the argument name under which
            deterministic functions receive the value.
        plate : str, optional
            Plate on which the input is a vector (one value per pixel, say),
            or a matrix of shape ``(K, D)`` whose first axis runs along the
            plate (a design matrix: ``beta @ X.T`` is then ``(K,)`` for one
            point and ``(nwalkers, K)`` for a batch).
        unit : str or astropy.units.UnitBase, optional
            Unit of its values (``"s"``); Quantity values are converted to it,
            plain numbers are taken as in it.
        label : str, optional
            LaTeX label, without the plate index; guessed from the name by
            default.

        Returns
        -------
        str
            The node name.

        Raises
        ------
        ModelError
            If the name is not an identifier or is already used, or the unit
            cannot be read.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("stamp")
        >>> m.fixed("ex", plate="pixels", unit="s")
        'ex'
        >>> m.node("ex").kind, m.node("ex").unit
        (<NodeKind.FIXED: 'fixed'>, Unit("s"))
        """
        return self._add(Node(name, NodeKind.FIXED, checked_label(name, label), plate,
                              unit=declared_unit(name, unit)))

    def deterministic(self, name=None, func=None, plate=None, unit=None, label=None):
        """Declare a deterministic node, a function of its parents.

        The parents are the function's argument names. The function is written
        in plain numpy for one point; it is then also called with a batch of
        walkers, each scalar parameter of shape ``(nwalkers, 1)`` against plate
        vectors of shape ``(K,)``.

        Use it directly, ``m.deterministic("mu", f, plate="pixels")``, or as a
        decorator, ``@m.deterministic(plate="pixels")``.

        Parameters
        ----------
        name : str, optional
            Node name; the function's name by default.
        func : callable, optional
            The function; omit it to use the decorator form. Arguments without
            a default value, and arguments named after existing nodes, are the
            parents.
        plate : str, optional
            Plate on which the value is a vector.
        unit : str or astropy.units.UnitBase, optional
            Unit of its values (the function computes with plain numbers in
            the units of its parents).
        label : str, optional
            LaTeX label, without the plate index.

        Returns
        -------
        str or callable
            The node name, or a decorator that returns the function unchanged.

        Raises
        ------
        ModelError
            If an argument names no declared node, the function takes
            ``*args`` or ``**kwargs``, the name is already used, or the unit
            cannot be read.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("line")
        >>> m.param("a", pg.Normal(0, 1))
        'a'
        >>> m.fixed("x", plate="points")
        'x'
        >>> m.deterministic("line", lambda a, x: a * x, plate="points")
        'line'
        >>> @m.deterministic(plate="points")
        ... def mu(line):
        ...     return np.exp(line)
        >>> m.node("mu").parents
        ('line',)
        """
        return function_node(name, func, lambda name, func: self._add(
            Node(name, NodeKind.DETERMINISTIC, checked_label(name, label), plate, func=func,
                 parents=function_parents(name, func, self.graph),
                 unit=declared_unit(name, unit))))

    def data(self, name, distribution, plate=None, unit=None, label=None):
        """Declare a data node with its sampling distribution.

        Parameters
        ----------
        name : str
            Node name, the key of its values in ``data={...}``.
        distribution : Distribution
            E.g. ``pg.Poisson("mu")`` for photon counts; its arguments name
            nodes or are numbers.
        plate : str, optional
            Plate on which the data are a vector (one value per pixel, say).
        unit : str or astropy.units.UnitBase, optional
            Unit of the data (``"ct"``); Quantity data are converted to it.
        label : str, optional
            LaTeX label, without the plate index.

        Returns
        -------
        str
            The node name.

        Raises
        ------
        ModelError
            If the distribution is missing, not a pgmsim distribution or a
            multivariate one (use :meth:`factor`), an argument names no
            declared node, an argument lives on a plate
            that does not broadcast against the node's plate, or the unit
            cannot be read.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("counts")
        >>> m.param("lam", pg.Gamma(2.0, 1.0))
        'lam'
        >>> m.data("N", pg.Poisson("lam"), plate="obs")
        'N'
        >>> print(m.factorization())
        p(lam, {N_k}) = p(lam) prod_k p(N_k | lam)
        """
        if distribution is None:
            raise ModelError(f"data node {name!r} needs a sampling distribution")
        check_distribution(name, distribution, "sampling distribution")
        if isinstance(distribution, MultivariateDistribution):
            raise ModelError(
                f"data node {name!r}: {type(distribution).__name__} is a prior of vector "
                "parameters only; write the log-likelihood of vector data with m.factor")
        return self._add(
            Node(name, NodeKind.DATA, checked_label(name, label), plate,
                 distribution=distribution, parents=distribution.parents,
                 unit=declared_unit(name, unit))
        )

    def factor(self, name=None, func=None):
        r"""Declare a free term of the log-density, ``func(parents)``.

        Stan's ``target +=``: the value is added to the log-posterior (with
        the log-likelihood), e.g. ``np.sum(counts * np.log(p), axis=-1)`` for
        categorical counts. It is the factor :math:`\psi_{name}(\ldots)` of
        the factorization; simulation does not draw from it. Use it directly,
        ``m.factor("counts", f)``, or as a decorator, ``@m.factor()``.

        Parameters
        ----------
        name : str, optional
            Node name; the function's name by default.
        func : callable, optional
            The function; its argument names are the parents, as for
            :meth:`deterministic`. It returns one number for one point, and
            shape ``(nwalkers,)`` or ``(nwalkers, 1)`` for a batch (checked
            when a posterior is built).

        Returns
        -------
        str or callable
            The node name, or a decorator that returns the function unchanged.

        Raises
        ------
        ModelError
            If an argument names no declared node, the function takes
            ``*args`` or ``**kwargs``, or the name is already used.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("counts")
        >>> m.param("p", pg.Dirichlet([1.0, 1.0, 1.0]))
        'p'
        >>> m.factor("counts", lambda p: np.sum(np.array([3, 1, 2]) * np.log(p), axis=-1))
        'counts'
        >>> print(m.factorization())
        p(p) = p(p) psi_counts(p)
        """
        return function_node(name, func, lambda name, func: self._add(
            Node(name, NodeKind.FACTOR, checked_label(name, None), func=func,
                 parents=function_parents(name, func, self.graph, "factor node"))))

    # ------------------------------------------------------------------
    # queries
    @property
    def nodes(self):
        """Dict of node name to :class:`~pgmsim.graph.nodes.Node`, in declaration order."""
        return {n: self.graph.nodes[n]["node"] for n in self.graph.nodes}

    def node(self, name):
        """The :class:`~pgmsim.graph.nodes.Node` called ``name``.

        Parameters
        ----------
        name : str
            A node of the model.

        Returns
        -------
        Node
            Its kind, label, plate, distribution, function and parents.

        Raises
        ------
        KeyError
            If there is no such node; the message lists the known ones.

        Examples
        --------
        >>> from pgmsim.models import xray_agn
        >>> xray_agn.build().node("N").distribution
        Poisson('mu')
        """
        if name not in self.graph:
            raise KeyError(f"no node {name!r}; known nodes: {', '.join(self.graph)}")
        return self.graph.nodes[name]["node"]

    def names(self, kind):
        """Names of the nodes of one kind, in topological order.

        Parameters
        ----------
        kind : NodeKind or str
            ``"parameter"``, ``"fixed"``, ``"deterministic"`` or ``"data"``.

        Returns
        -------
        list of str

        Examples
        --------
        >>> from pgmsim.models import xray_agn
        >>> xray_agn.build().names("parameter")
        ['x0', 'y0', 'F', 'b', 'sigma']
        """
        kind = NodeKind(kind)
        return [n for n in self.order if self.node(n).kind is kind]

    @property
    def order(self):
        """Node names in a topological order (stable: declaration order breaks ties)."""
        position = {n: i for i, n in enumerate(self.graph.nodes)}
        return list(nx.lexicographical_topological_sort(self.graph, key=position.get))

    # ------------------------------------------------------------------
    # the four uses
    def simulate(self, inputs=None, params=None, seed=None):
        """Draw every node by ancestral sampling (mock data).

        See :func:`pgmsim.simulate.simulate`.

        Parameters
        ----------
        inputs : dict, optional
            Values of the fixed inputs (all of them are required). A
            :class:`~astropy.units.Quantity` is converted to its node's unit
            (see :func:`pgmsim.graph.units.plain_value`); numbers are taken
            as in it.
        params : dict, optional
            Values of some or all parameters (numbers or Quantities); the
            others are drawn from their priors.
        seed : int or numpy.random.Generator, optional
            The same seed gives the same result.

        Returns
        -------
        dict
            Every node's value, keyed by name.

        Examples
        --------
        >>> from pgmsim.models import xray_agn
        >>> m = xray_agn.build()
        >>> sim = m.simulate(inputs=xray_agn.default_inputs(), params=xray_agn.TRUTH, seed=1)
        >>> sim["N"].shape, sim["N"].dtype
        ((1600,), dtype('int64'))
        """
        return simulate.simulate(self, inputs=inputs, params=params, seed=seed)

    def factorization(self, verbose=False):
        r"""The joint density written as a product of factors.

        See :func:`pgmsim.factorize.factorization`.

        Parameters
        ----------
        verbose : bool
            Also list each stochastic node's distribution
            (``x_0 \sim \mathcal{U}(0, 40)``).

        Returns
        -------
        Factorization
            ``str()`` gives plain text, ``.latex`` LaTeX.

        Examples
        --------
        >>> from pgmsim.models import xray_agn
        >>> print(xray_agn.build().factorization())
        p(x0, y0, F, b, sigma, {N_k}) = p(x0) p(y0) p(F) p(b) p(sigma) prod_k p(N_k | x0, y0, F, b, sigma)
        """
        return factorize.factorization(self, verbose=verbose)

    def render(self, observed=True, **options):
        """Draw the PGM with daft, laid out automatically.

        See :func:`pgmsim.draw.render.render`.

        Parameters
        ----------
        observed : bool
            ``True`` draws data nodes as observed (the inference view),
            ``False`` as open circles (the forward view).
        **options
            Passed to :func:`pgmsim.draw.render.render`: ``observed_style``,
            ``positions``, ``dpi``, and

            format : {"daft", "tikz"}
                ``"daft"`` (default) draws with daft; ``"tikz"`` returns the
                ``tikz-bayesnet`` LaTeX source of the same drawing.
            standalone : bool
                With ``format="tikz"``: a whole ``standalone`` document that
                compiles alone, instead of only the ``tikzpicture``.

        Returns
        -------
        daft.PGM or str
            Already rendered; save it with ``pgm.savefig("pgm.png")`` (or
            ``.svg``, ``.pdf``). The LaTeX source with ``format="tikz"``.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from pgmsim.models import xray_agn
        >>> pgm = xray_agn.build().render(observed=False)
        >>> pgm.figure is not None
        True
        >>> plt.close(pgm.figure)
        >>> source = xray_agn.build().render(format="tikz", standalone=True)
        >>> print(source.splitlines()[0])
        \\documentclass[tikz]{standalone}
        """
        from ..draw.render import render  # daft and matplotlib load on the first drawing

        return render(self, observed=observed, **options)

    def posterior(self, data, inputs=None):
        """The posterior density given observed data and fixed inputs.

        See :class:`pgmsim.fit.posterior.Posterior`.

        Parameters
        ----------
        data : dict
            Observed values of every data node.
        inputs : dict, optional
            Values of every fixed input. Quantities, in ``data`` too, are
            converted to their node's unit; numbers are taken as in it.

        Returns
        -------
        Posterior
            Its ``log_prob`` takes one parameter vector or a batch of walkers.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> post.param_names
        ['lam']
        """
        return Posterior(self, data=data, inputs=inputs)

    def __repr__(self):
        kinds = {k: len(self.names(k)) for k in NodeKind}
        counts = ", ".join(f"{v} {k.value}" for k, v in kinds.items() if v)
        return f"<Model {self.name!r}: {counts}>"

    # ------------------------------------------------------------------
    # internals
    def _add(self, node):
        name = node.name
        check_name(self.graph, name)
        check_parents(self.graph, node)
        created = node.plate is not None and node.plate not in self.plates
        if created:
            self.plate(node.plate)
        try:
            self._check_plates(node)
        except ModelError:
            if created:  # a refused node leaves no trace
                del self.plates[node.plate]
            raise
        self.graph.add_node(name, node=node)
        # parents are declared before their children, so a new node closes no cycle
        self.graph.add_edges_from((p, name) for p in node.parents)
        return name
