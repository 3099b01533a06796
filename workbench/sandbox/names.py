"""Invented name lists for the sandbox district: first names, surnames and nicknames.

Names are grouped by a loose cultural origin so that a household draws its surname and its
children's first names from one pool (with some mixing), which gives the surname/first-name
combinations a real district shows. Every list here was written for this project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NameGroup:
    """One pool of names, with its share of households and the race codes it most often reports."""

    key: str
    weight: float
    races: tuple[str, ...]
    hispanic: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ANGLO = NameGroup(
    "anglo", 0.42, ("W",), 0.03,
    _split("""Emma Olivia Ava Sophia Isabella Charlotte Amelia Harper Evelyn Abigail Emily Elizabeth
    Madison Avery Ella Scarlett Grace Chloe Victoria Riley Aria Lily Hannah Zoey Nora Hazel Aubrey
    Addison Eleanor Natalie Leah Savannah Brooklyn Audrey Claire Skylar Lucy Paisley Anna Caroline
    Genesis Kennedy Samantha Allison Sarah Madelyn Katherine Margaret Rebecca Jessica Jennifer Megan
    Lauren Rachel Alexandra Molly Julia Kaylee Peyton Hailey Paige Jordan Taylor Morgan Sydney
    Susan Deborah Patricia Christine Heather Amanda Melissa Stephanie Nicole Kimberly Amy Laura"""),
    _split("""Liam Noah William James Benjamin Lucas Henry Alexander Mason Michael Ethan Daniel Jacob
    Logan Jackson Levi Sebastian Jack Owen Samuel Wyatt John David Joseph Carter Luke Grayson Isaac
    Lincoln Jayden Theodore Hudson Nathan Caleb Ryan Christian Hunter Dylan Connor Eli Aaron Thomas
    Charles Jonathan Andrew Nicholas Joshua Christopher Matthew Anthony Robert Timothy Richard Edward
    Gabriel Cameron Brandon Tyler Austin Kevin Brian Jason Justin Eric Steven Gregory Patrick Sean
    Colton Tristan Garrett Cody Travis Derek Wesley Spencer"""),
    _split("""Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore
    Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green
    Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins
    Stewart Morris Rogers Reed Cook Morgan Bell Murphy Bailey Cooper Richardson Cox Howard Ward
    Peterson Gray James Watson Brooks Kelly Sanders Price Bennett Wood Barnes Ross Henderson Coleman
    Jenkins Perry Powell Long Patterson Hughes Butler Simmons Foster Bryant Alexander Russell Griffin
    Hayes Myers Ford Hamilton Graham Sullivan Wallace West Cole Jordan Reynolds Fisher Ellis Harrison
    Gibson McDonald Marshall Owens Kennedy Wells Hunt Palmer Holmes Black Stone Hawkins Dunn Perkins
    Hudson Spencer Stephens Pierce Porter Hansen Mason Larson Carlson O'Brien O'Connor McCarthy
    Fitzgerald Van_Dyke MacLeod St._John Lindqvist Schroeder Becker Hoffmann Krueger Weber"""),
)

HISPANIC = NameGroup(
    "hispanic", 0.24, ("W",), 0.92,
    _split("""Sofía Camila Valentina Isabella Lucía Mariana Ximena Valeria Daniela Gabriela Natalia
    Renata Victoria Elena Andrea Paula Fernanda Alejandra Guadalupe Dolores María Ana Carmen Rosa
    Adriana Yesenia Marisol Jazmín Itzel Araceli Esperanza Luz Beatriz Leticia Maribel Paola Karina
    Jimena Regina Emilia Catalina Abril Allison Melanie Ashley Genesis Kimberly Leslie Nayeli Citlali"""),
    _split("""Santiago Mateo Sebastián Matías Diego Nicolás Alejandro Daniel Samuel Emiliano Leonardo
    Gabriel Ángel Adrián David Javier José Juan Luis Carlos Miguel Jorge Francisco Ricardo Fernando
    Eduardo Roberto Manuel Rafael Enrique Ignacio Jesús Antonio Pedro Raúl Sergio Andrés Julián
    Héctor Arturo Rodrigo Joaquín Iker Thiago Bryan Kevin Christopher Anthony Jonathan Brandon
    Erick Alexis Giovanni Omar"""),
    _split("""García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores
    Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Ramos Chávez Mendoza Ruiz Álvarez Castillo
    Jiménez Moreno Romero Herrera Medina Aguilar Vargas Castro Guzmán Fernández Vásquez Salazar
    Delgado Soto Contreras Peña Luna Ríos Domínguez Mejía Juárez Espinoza Cabrera Navarro Rosales
    Campos Vega Cortez Guerrero Maldonado Núñez Muñoz Estrada Figueroa Sandoval Ibarra Padilla
    Valdez Cervantes Orozco Acosta Fuentes Carrillo Zamora Lara Mora Trujillo Villanueva Pacheco
    De_La_Cruz De_León Del_Río Garza Rangel Solís Sosa Velázquez Zavala Arellano Bautista Quintero
    Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Gomez Diaz"""),
)

AFRICAN_AMERICAN = NameGroup(
    "african_american", 0.10, ("B",), 0.02,
    _split("""Aaliyah Imani Jasmine Destiny Nia Zuri Kiara Jada Aniyah Amani Kennedi Nevaeh Trinity
    Makayla Jordyn Brianna Diamond Ebony Tiana Raven Keisha Tamika Latoya Shanice Monique Danielle
    Erica Crystal Aisha Ayanna Janelle Jaliyah Kayla Sanaa Tatiana Deja Alexis Morgan Mya Laila"""),
    _split("""Jamal Malik Darnell Terrence Andre DeShawn Marcus Jalen Isaiah Elijah Xavier Jaylen
    Darius Tyrone Cedric Reginald Dwayne Lamar Maurice Kendrick Rashad Devonte Khalil Jermaine
    Demetrius Trevon Jabari Kwame Omari Desmond Donovan Myles Micah Josiah Zion Cameron Marquis
    Jordan Quentin Derrick Terrell Brandon Anthony Michael Christopher"""),
    _split("""Washington Jefferson Jackson Johnson Williams Brown Jones Davis Robinson Harris Thomas
    Jenkins Coleman Simmons Freeman Banks Hayes Bryant Alexander Boyd Dixon Mack Moss Gaines Gordon
    Holloway Hairston Battle Pettiford Witherspoon Brooks Tucker Spears Mosley Mayfield Oliver Gilliam
    Ballard Bynum Dorsey Merriweather Whitaker Lockhart Pryor Blackwell Chambers Ruffin Franklin"""),
)

EAST_ASIAN = NameGroup(
    "east_asian", 0.08, ("A",), 0.0,
    _split("""Mei Lin Yan Hui Jing Xiu Ying Min-ji Seo-yeon Ji-woo Ha-eun Soo-ah Yuna Sakura Hana Yui
    Aiko Emi Mai Linh Thao Huong Ngoc Anh Chloe Grace Emily Sophie Vivian Michelle Angela Jenny Tiffany
    Christina Kimberly Annie Amy Joyce Irene"""),
    _split("""Wei Jun Hao Jian Ming Chen Yong Tao Min-jun Seo-jun Ji-ho Hyun-woo Do-yun Haruto Ren
    Sota Yuto Kenji Hiroshi Minh Duc Quang Tuan Khoa Bao Andrew Kevin Eric Brian Justin Jason Daniel
    Ryan Vincent Derek Alan Calvin Henry Edison"""),
    _split("""Nguyen Tran Le Pham Huynh Hoang Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly Wang Li Zhang Liu
    Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo Kim Lee Park Choi Jung Kang Cho
    Yoon Jang Lim Han Shin Seo Kwon Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura
    Kobayashi Kato Yoshida Yamada Sasaki Matsumoto Inoue Kimura Wong Chan Leung Cheung Lau Ng Tsang"""),
)

SOUTH_ASIAN = NameGroup(
    "south_asian", 0.05, ("A",), 0.0,
    _split("""Aanya Ananya Diya Ishita Kavya Priya Riya Saanvi Aditi Anika Meera Neha Pooja Shreya
    Tanvi Zara Aisha Fatima Ayesha Sana Nisha Lakshmi Deepa Anjali Sunita Kiran Divya Nandini"""),
    _split("""Aarav Arjun Vihaan Aditya Rohan Ishaan Krishna Sai Vivaan Reyansh Dev Rahul Vikram
    Sanjay Anil Raj Amit Rajesh Suresh Arun Karthik Nikhil Pranav Siddharth Omar Ali Hamza Imran
    Faisal Bilal"""),
    _split("""Patel Shah Sharma Singh Kumar Gupta Mehta Reddy Rao Iyer Nair Menon Desai Joshi Kapoor
    Malhotra Chopra Agarwal Bhatt Chaudhary Pillai Verma Mishra Trivedi Banerjee Chatterjee Mukherjee
    Das Bose Sen Khan Ahmed Hussain Qureshi Siddiqui Chaudhry Malik Rahman Islam Hossain"""),
)

MIDDLE_EASTERN = NameGroup(
    "middle_eastern", 0.03, ("W",), 0.0,
    _split("""Layla Noor Yasmin Leila Mariam Rania Dalia Hala Lina Salma Amira Nadia Rana Huda Reem
    Samira Zainab Farah"""),
    _split("""Omar Youssef Khaled Karim Tariq Rami Sami Nabil Hassan Hussein Ibrahim Mahmoud Mustafa
    Ziad Fadi Amir Adam Yusuf"""),
    _split("""Haddad Khoury Nassar Saleh Mansour Hakim Farah Aziz Karam Bakr Darwish Habib Hamdan
    Ibrahim Jaber Kassab Maalouf Nasser Qasim Rahal Sabbagh Shaheen Taha Zaki Abboud Awad Sayegh"""),
)

SLAVIC = NameGroup(
    "slavic", 0.04, ("W",), 0.0,
    _split("""Anastasia Daria Sofia Polina Kateryna Oksana Natalia Irina Olga Svetlana Yelena
    Tatiana Alina Milena Zofia Agnieszka Magdalena Karolina Ivana Petra"""),
    _split("""Dmitri Ivan Mikhail Sergei Alexei Nikolai Andrei Pavel Viktor Yuri Oleksandr Bohdan
    Taras Jakub Piotr Tomasz Marek Lukas Milan Stefan"""),
    _split("""Ivanov Petrov Smirnov Kuznetsov Popov Volkov Sokolov Lebedev Kozlov Novak Kowalski
    Nowak Wisniewski Wojcik Kaminski Lewandowski Zielinski Shevchenko Kovalenko Bondarenko Tkachenko
    Horvat Kovac Novotny Dvorak Svoboda Petrovic Jovanovic Nikolic"""),
)

WEST_AFRICAN = NameGroup(
    "west_african", 0.02, ("B",), 0.0,
    _split("""Amara Adaeze Chiamaka Ngozi Folake Abena Ama Efua Yaa Fatoumata Aminata Mariama Kadiatou
    Adwoa Chidinma Ifeoma"""),
    _split("""Chinedu Emeka Obinna Kwabena Kofi Kwame Yaw Oluwaseun Tunde Babajide Mamadou Ibrahima
    Ousmane Moussa Abdoulaye Chukwuemeka"""),
    _split("""Okafor Okeke Adeyemi Adebayo Okonkwo Nwosu Eze Obi Mensah Owusu Asante Boateng Diallo
    Traore Keita Camara Toure Sow Balogun Afolabi Oyelaran Appiah"""),
)

GROUPS: tuple[NameGroup, ...] = (
    ANGLO, HISPANIC, AFRICAN_AMERICAN, EAST_ASIAN, SOUTH_ASIAN, MIDDLE_EASTERN, SLAVIC, WEST_AFRICAN,
)

#: Formal first name -> the short forms people enter instead (used for duplicate variants).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Eliza", "Betsy"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Michael": ("Mike", "Mikey"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Jennifer": ("Jen", "Jenny"),
    "Christopher": ("Chris", "Topher"),
    "Alexander": ("Alex", "Xander", "Sasha"),
    "Alexandra": ("Alex", "Lexi", "Sasha"),
    "Benjamin": ("Ben", "Benny"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Nicholas": ("Nick", "Nico"),
    "Joseph": ("Joe", "Joey"),
    "Anthony": ("Tony",),
    "Thomas": ("Tom", "Tommy"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Samantha": ("Sam", "Sammy"),
    "Samuel": ("Sam", "Sammy"),
    "Victoria": ("Tori", "Vicky"),
    "Rebecca": ("Becky", "Becca"),
    "Jessica": ("Jess", "Jessie"),
    "Abigail": ("Abby", "Gail"),
    "Isabella": ("Bella", "Izzy"),
    "Olivia": ("Liv", "Livvy"),
    "Gabriel": ("Gabe",),
    "Jonathan": ("Jon", "Johnny"),
    "Timothy": ("Tim", "Timmy"),
    "Andrew": ("Andy", "Drew"),
    "Richard": ("Rick", "Rich", "Dick"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Susan": ("Sue", "Susie"),
    "Deborah": ("Debbie", "Deb"),
    "Christine": ("Chris", "Chrissy"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Charles": ("Charlie", "Chuck"),
    "Theodore": ("Theo", "Teddy"),
    "Stephanie": ("Steph",),
    "Kimberly": ("Kim",),
    "Amanda": ("Mandy",),
    "Nathan": ("Nate",),
    "Zachary": ("Zach",),
    "Francisco": ("Paco", "Pancho"),
    "José": ("Pepe",),
    "Guadalupe": ("Lupe",),
    "Alejandro": ("Alex", "Alejo"),
    "Jesús": ("Chuy",),
    "Enrique": ("Kike",),
    "Dolores": ("Lola",),
    "Ignacio": ("Nacho",),
    "Eduardo": ("Lalo",),
    "Anastasia": ("Nastya", "Ana"),
    "Dmitri": ("Dima",),
    "Mikhail": ("Misha",),
    "Oluwaseun": ("Seun",),
    "Babajide": ("Jide",),
}

MIDDLE_NAMES: tuple[str, ...] = _split(
    """Marie Ann Lynn Rose Grace Jane Louise Elizabeth Nicole Michelle Renee Kay Jean Mae Alexandra
    James Michael Lee Allen Ray Thomas Joseph Edward Scott Paul Wayne Dean Alan Robert William
    Antonio Luis José María Guadalupe Quoc Van Thi Minh Kumar Devi"""
)


def display(name: str) -> str:
    """Names are stored with ``_`` for the spaces of compound surnames (``De_La_Cruz``)."""
    return name.replace("_", " ")
