"""Name, model and noise pools with realistic (Zipf-like) frequencies for Peru."""

from __future__ import annotations

import numpy as np

GIVEN = (
    "José Juan Luis Carlos Jorge Miguel Víctor César Jesús Pedro Manuel Alberto Fernando Raúl "
    "Julio Ángel Óscar Marco Ricardo Eduardo Javier Walter Wilmer Edwin Roberto Alejandro Daniel "
    "Diego Renzo Jhon Percy Hugo Iván Rubén Elmer Segundo Santiago Andrés Felipe Martín Tomás "
    "Gustavo Héctor Nicolás Sebastián Gonzalo Abel Efraín Ismael Germán Rolando Teodoro Wilfredo "
    "Anthony Kevin Brayan Jhonatan Franco Gabriel Rodrigo Mauricio Cristian Álvaro Ramón Nelson "
    "María Rosa Ana Carmen Luz Julia Elena Sofía Lucía Milagros Patricia Gladys Yolanda Flor "
    "Giovanna Mónica Verónica Carolina Natalia Andrea Daniela Valeria Ximena Fiorella Karina "
    "Jesica Maribel Nélida Inés Noemí Teresa Beatriz Raquel Susana Liliana Rocío Pilar Erika"
).split()

SURNAMES = (
    "Quispe Flores Rodríguez Huamán Mamani García Sánchez Rojas Díaz Chávez Torres Ramírez "
    "Vásquez Mendoza Castillo Gutiérrez Ramos López Espinoza Gonzales Pérez Vargas Fernández "
    "Cruz Gómez Romero Morales Silva Salazar Ríos Castro Ruiz Herrera Medina Aguilar Córdova "
    "Paredes Cárdenas Reyes Ccama Condori Apaza Huanca Ticona Choque Cusi Vilca Yupanqui Chambi "
    "Núñez Peña Ibáñez Muñoz Ordóñez Zúñiga Montañez Cañari Villanueva Valdivia Alvarado Cabrera "
    "Palomino Ayala Arias Benites Campos Delgado Estrada Farfán Guerrero Hidalgo Jiménez Lazo "
    "Llanos Málaga Navarro Ochoa Pacheco Quiroz Rivera Saavedra Tapia Ugarte Valencia Zapata "
    "Acuña Bravo Calderón Dávila Escobar Figueroa Gallegos Herrera Inga Jara León Loayza Meza "
    "Nieto Olivares Prado Quintana Rivas Solís Tello Urbina Velásquez Yáñez Zegarra Huertas "
    "Mallqui Ccori Pari Layme Huillca Sucno Taipe"
).split() + ["De la Cruz", "Del Castillo", "De los Santos"]

MODELS = (
    "Toyota Yaris|Kia Rio|Hyundai Accent|Nissan Sentra|Chevrolet Sail|Kia Picanto|Suzuki Swift|"
    "Toyota Corolla|Hyundai Elantra|Nissan Versa|Chevrolet Spark|Kia Soluto|Suzuki Dzire|"
    "Hyundai Grand i10|Renault Logan|Toyota Etios|Mitsubishi Mirage|Changan Alsvin|JAC J4|Geely GC6"
).split("|")


def zipf_weights(n: int, s: float = 1.05) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()
