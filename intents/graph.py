"""The conversational agent's graph; `build_graph()` returns it uncompiled.

    START → understand → act ─┬─────────────▶ END
                              └─▶ confirm ──┬─▶ END          (YES / NO)
                                    ▲       ├─▶ understand   (something else was said)
                                    └───────┘                (still waiting: a flow draft was changed or
                                                              tested, or a set-aside draft is back)
"""
from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from intents.nodes import Deps, act_node, after_act, after_confirm, confirm_node, understand_node
from intents.state import AgentState


def build_graph() -> StateGraph[AgentState, Deps, AgentState, AgentState]:
    """The agent as an uncompiled `StateGraph`; compile it with a checkpointer."""
    graph = StateGraph(AgentState, context_schema=Deps)
    graph.add_node("understand", understand_node)
    graph.add_node("act", act_node)
    graph.add_node("confirm", confirm_node)
    graph.add_edge(START, "understand")
    graph.add_edge("understand", "act")
    graph.add_conditional_edges("act", after_act, ["confirm", END])
    graph.add_conditional_edges("confirm", after_confirm, ["understand", "confirm", END])
    return graph
