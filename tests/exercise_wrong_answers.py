"""Plausible wrong answers to the lessons' exercises: (lesson, exercise) -> a list of
(text in the solution, what a learner might write instead, regex the ✗ line must match).

Each is a mistake learners make (a transposed product, a missing term, a sum instead of a
mean, a gradient through the wrong path); tests/test_exercises.py applies it to the appendix
solution and checks that the exercise's check catches it and says what is wrong.
"""

WRONG_ANSWERS: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
