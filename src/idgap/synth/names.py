"""Peruvian name pools with realistic (Zipf-Mandelbrot) frequencies, and vectorised draws.

Pools are ordered from most to least common, so frequent surnames (QUISPE, FLORES, SÁNCHEZ,
RODRÍGUEZ, HUAMÁN, MAMANI...) produce the namesakes a real park has.
"""

from __future__ import annotations

import numpy as np
import polars as pl

GIVEN_MALE = (
    "José Juan Luis Carlos Jorge Miguel Víctor César Jesús Pedro Manuel Alberto Fernando Raúl "
    "Julio Ángel Óscar Marco Ricardo Eduardo Javier Walter Wilmer Edwin Roberto Alejandro Daniel "
    "Diego Renzo Jhon Percy Hugo Iván Rubén Elmer Segundo Santiago Andrés Felipe Martín Tomás "
    "Gustavo Héctor Nicolás Sebastián Gonzalo Abel Efraín Ismael Germán Rolando Teodoro Wilfredo "
    "Anthony Kevin Brayan Jhonatan Franco Gabriel Rodrigo Mauricio Cristian Álvaro Ramón Nelson "
    "Antonio Francisco Enrique Alfredo Armando Félix Freddy Henry Jaime Joel Josué Lucio Mario "
    "Máximo Moisés Néstor Orlando Pablo Rafael Rómulo Samuel Saúl Teófilo Ulises Valentín Wálter "
    "Yuri Zenón Benjamín Dante Edgar Elías Ernesto Fabián Genaro Gilberto Heber Isaías Jhordan "
    "Leonardo Lorenzo Marcelino Nilton Omar Paúl Quintín Reynaldo Simón Toribio"
).split()

GIVEN_FEMALE = (
    "María Rosa Ana Carmen Luz Julia Elena Sofía Lucía Milagros Patricia Gladys Yolanda Flor "
    "Giovanna Mónica Verónica Carolina Natalia Andrea Daniela Valeria Ximena Fiorella Karina "
    "Jesica Maribel Nélida Inés Noemí Teresa Beatriz Raquel Susana Liliana Rocío Pilar Erika "
    "Yesenia Judith Norma Marleny Sonia Zulema"
).split()

SURNAMES = (
    "Quispe Flores Sánchez Rodríguez García Rojas Gonzales Chávez Díaz Ramos Torres Mendoza "
    "Vásquez Huamán Castillo Mamani López Ramírez Espinoza Pérez Vargas Gutiérrez Fernández Cruz "
    "Castro Reyes Gómez Ruiz Silva Romero Morales Salazar Ríos Herrera Medina Aguilar Córdova "
    "Paredes Cárdenas Ccama Condori Apaza Huanca Ticona Choque Cusi Vilca Yupanqui Chambi "
    "Núñez Peña Ibáñez Muñoz Ordóñez Zúñiga Montañez Cañari Villanueva Valdivia Alvarado Cabrera "
    "Palomino Ayala Arias Benites Campos Delgado Estrada Farfán Guerrero Hidalgo Jiménez Lazo "
    "Llanos Málaga Navarro Ochoa Pacheco Quiroz Rivera Saavedra Tapia Ugarte Valencia Zapata "
    "Acuña Bravo Calderón Dávila Escobar Figueroa Gallegos Inga Jara León Loayza Meza "
    "Nieto Olivares Prado Quintana Rivas Solís Tello Urbina Velásquez Yáñez Zegarra Huertas "
    "Mallqui Ccori Pari Layme Huillca Sucno Taipe Álvarez Marín Martínez Mejía Miranda Montes "
    "Muñante Noriega Orbegoso Osorio Pinedo Ponce Poma Puma Quiñones Rengifo Salas Salinas "
    "Sandoval Soto Suárez Tafur Tito Toledo Trujillo Valverde Vega Velarde Vera Villegas "
    "Zambrano Acosta Aquino Arce Ávila Baca Bautista Becerra Bustamante Cáceres Calle Carrasco "
    "Cerna Chumpitaz Coronado Cueva Durand Enríquez Félix Gamarra Guevara Hernández Huerta "
    "Lozano Luna Maldonado Mora Moreno Núñez Oré Palacios Pariona Quiñe Rivero Sáenz Tineo "
    "Vilchez Yauri Zavaleta Alarcón Anco Barrientos Bendezú Cahuana Ccahuana Chipana Colque "
    "Huayta Illanes Jáuregui Limache Lupaca Machaca Ñahui Ñaupari Pumacayo Sulca Ttito"
).split() + ["De la Cruz", "Del Castillo", "De los Santos"]

# (brand, model, weight): the cars Lima's ride-hailing drivers actually use
MODELS = (
    ("Toyota", "Yaris", 12), ("Kia", "Rio", 10), ("Hyundai", "Accent", 10),
    ("Nissan", "Sentra", 6), ("Chevrolet", "Sail", 7), ("Kia", "Picanto", 5),
    ("Suzuki", "Swift", 5), ("Toyota", "Corolla", 6), ("Hyundai", "Elantra", 3),
    ("Nissan", "Versa", 5), ("Chevrolet", "Spark", 3), ("Kia", "Soluto", 4),
    ("Suzuki", "Dzire", 4), ("Hyundai", "Grand i10", 4), ("Renault", "Logan", 3),
    ("Toyota", "Etios", 3), ("Mitsubishi", "Mirage", 2), ("Changan", "Alsvin", 3),
    ("JAC", "J4", 2), ("Geely", "GC6", 1),
)  # fmt: skip


def zipf_weights(n: int, s: float = 1.0, q: float = 0.0) -> np.ndarray:
    """Zipf-Mandelbrot weights; `q` flattens the head (top surname ~4 %, not 17 %)."""
    w = 1.0 / (np.arange(1, n + 1) + q) ** s
    return w / w.sum()


def unique_in_order(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))


_MALE = np.array(unique_in_order(GIVEN_MALE))
_FEMALE = np.array(unique_in_order(GIVEN_FEMALE))
_SURNAMES = np.array(unique_in_order(SURNAMES))
_MALE_W = zipf_weights(len(_MALE), 1.0, 6)
_FEMALE_W = zipf_weights(len(_FEMALE), 1.0, 4)
_SURNAME_W = zipf_weights(len(_SURNAMES), 1.05, 12)


def _given(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    m = _MALE[rng.choice(len(_MALE), len(male), p=_MALE_W)]
    f = _FEMALE[rng.choice(len(_FEMALE), len(male), p=_FEMALE_W)]
    return np.where(male, m, f)


def draw_people(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """`g1` `g2` (second given name, often empty) `s1` `s2` for n random people (85 % men)."""
    male = rng.random(n) < 0.85
    g1 = _given(rng, male)
    g2 = _given(rng, male)
    g2 = np.where((rng.random(n) < 0.5) & (g2 != g1), g2, "")
    s1 = _SURNAMES[rng.choice(len(_SURNAMES), n, p=_SURNAME_W)]
    s2 = _SURNAMES[rng.choice(len(_SURNAMES), n, p=_SURNAME_W)]
    return pl.DataFrame({"male": male, "g1": g1, "g2": g2, "s1": s1, "s2": s2})


def other_given(rng: np.random.Generator, people: pl.DataFrame) -> pl.DataFrame:
    """The same family (surnames), another given name: a relative sharing the car."""
    male = rng.random(people.height) < 0.7
    g1 = _given(rng, male)
    clash = g1 == people["g1"].to_numpy()
    g1 = np.where(clash, np.where(male, "Teodoro", "Zulema"), g1)
    g2 = np.where(rng.random(people.height) < 0.4, _given(rng, male), "")
    g2 = np.where(g2 == g1, "", g2)
    return people.with_columns(male=pl.Series(male), g1=pl.Series(g1), g2=pl.Series(g2))


def strip_accents(e: pl.Expr) -> pl.Expr:
    """What people type on a phone keyboard: Núñez -> Nunez."""
    return e.str.replace_many(list("ÁÉÍÓÚÜáéíóúüÑñ"), list("AEIOUUaeiouuNn"))


def mixed_case(e: pl.Expr, pick: pl.Expr) -> pl.Expr:
    """Spelled as typed (pick < .55), UPPER (< .9) or lower."""
    return (
        pl.when(pick < 0.55)
        .then(e)
        .when(pick < 0.9)
        .then(e.str.to_uppercase())
        .otherwise(e.str.to_lowercase())
    )


def typo(e: pl.Expr, pos: pl.Expr, kind: pl.Expr) -> pl.Expr:
    """One-letter typo inside a word of 4+ letters: drop, double or swap a letter.

    `pos` is a uniform 0..1 draw turned into an inner position, `kind` an integer 0..2.
    """
    n = e.str.len_chars()
    i = (pos * (n - 2)).floor().cast(pl.Int64) + 1  # 1 .. n-2: never the first or last letter
    head, here, nxt = e.str.slice(0, i), e.str.slice(i, 1), e.str.slice(i + 1, 1)
    dropped = pl.concat_str([head, e.str.slice(i + 1)])
    doubled = pl.concat_str([head, here, e.str.slice(i)])
    swapped = pl.concat_str([head, nxt, here, e.str.slice(i + 2)])
    changed = (
        pl.when(kind == 1)
        .then(doubled)
        .when((kind == 2) & (here != nxt))
        .then(swapped)
        .otherwise(dropped)
    )
    return pl.when(n >= 4).then(changed).otherwise(pl.concat_str([e, e.str.slice(-1)]))


def join_words(*parts: pl.Expr) -> pl.Expr:
    """Space-joined non-empty parts."""
    return pl.concat_str(list(parts), separator=" ").str.replace_all(r"\s+", " ").str.strip_chars()
