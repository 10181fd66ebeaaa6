"""Example queries and passages (data only): the classic first check and the agreement groups."""

from __future__ import annotations

__all__ = ["CHECK_EXAMPLES", "DEFAULT_GROUPS"]

# The classic first check: one English and one Chinese query, the right answer first.
CHECK_EXAMPLES: list[tuple[str, list[str]]] = [
    (
        "What is the capital of France?",
        [
            "Paris is the capital city of France. It is located in the northern part of the country.",
            "Berlin is the capital of Germany. It is the largest city in Germany by population.",
            "The Eiffel Tower is located in Paris, France.",
        ],
    ),
    (
        "中国的首都是哪里?",
        [
            "北京是中华人民共和国的首都,也是全国的政治和文化中心。",
            "上海是中国最大的经济中心城市,位于长江入海口。",
            "东京是日本的首都,也是日本最大的城市。",
        ],
    ),
]

# Query/passage groups for agreement checks when no case set is given: the classic first
# check plus a few groups with near misses, several scripts and very different lengths.
DEFAULT_GROUPS: list[tuple[str, list[str]]] = [
    *CHECK_EXAMPLES,
    (
        "what is panda?",
        [
            "hi",
            "The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, is a bear "
            "species endemic to China.",
            "Red pandas live in the eastern Himalayas and south-western China.",
            "Panda is also the name of a Spanish software company.",
        ],
    ),
    (
        "How to improve the generalization of deep learning models?",
        [
            "Dropout, batch normalization and data augmentation reduce overfitting.",
            "Deep learning models learn representations from data with many layers.",
            "The quick brown fox jumps over the lazy dog.",
            "Early stopping and more training data also help a model generalize.",
        ],
    ),
    (
        "Какая столица России?",
        [
            "Москва — столица России.",
            "Вода кипит при температуре сто градусов Цельсия.",
            "Paris is the capital of France.",
        ],
    ),
    (
        "What is the basic principle of quantum computing?",
        [
            "Superposition and entanglement let qubits represent many states at once.",
            "Quantum computing uses qubits.",
            "Classical computers use bits that are either 0 or 1.",
            "What is the basic principle of quantum computing?",
        ],
    ),
]
