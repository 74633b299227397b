"""Word lists for the explicit prompt rules, one block per policy category.

Every term is written in plain lower case and is normalised with the same function as the
prompt before matching (`tenku.safety.normalize.canonical`), so "self-harm" and "selfharm"
are the same term. A term ending in `*` matches any word that starts with it ("decapitat*").
Multi-word terms match whole consecutive words.

Per category:
- STRONG: any one term refuses.
- PAIRS: (A, B) — refuses when some A term and some B term both occur (e.g. an instruction cue
  and a weapon; a harmful verb and a person).
- SAFE: benign senses removed from the text before matching ("naked eye", "chicken breast",
  "shot of espresso", "murder of crows"), so near-misses pass.

The lists aim at what a video prompt says, not at every word in a language; the semantic
classifier (`tenku.safety.classifier`) catches paraphrases the lists miss.
"""

from __future__ import annotations

# --- shared building blocks ------------------------------------------------------------------

PERSON = (
    "a man", "a woman", "a person", "a boy", "a girl", "a child", "a kid", "a baby", "people",
    "someone", "somebody", "him", "her", "them", "a crowd", "the crowd", "civilians", "students",
    "children", "kids", "a victim", "the victim", "victims", "a hostage", "hostages", "a prisoner",
    "prisoners", "his wife", "her husband", "a cop", "a police officer", "a soldier", "soldiers",
    "a teacher", "passersby", "pedestrians", "shoppers", "worshippers", "an old man",
    "an old woman", "a family", "a stranger", "my", "his", "her", "their", "the man", "the woman",
    "a guy", "a student", "a classmate", "a neighbour", "a neighbor", "the president",
    "a politician", "refugees", "immigrants", "protesters", "a journalist", "a homeless man",
    "an innocent", "innocent", "a dog", "a cat", "a puppy", "the guard", "a guard",
)  # fmt: skip

INSTRUCTION = (
    "how to", "howto", "tutorial", "step by step", "stepbystep", "instructions", "instruction",
    "guide to", "guide for", "recipe for", "diy", "teaches", "teaching", "explains how",
    "showing how", "shows how", "demonstrating how", "demonstrates how", "walkthrough",
    "walk through", "learn to", "learn how", "method for", "ways to", "blueprint", "manual",
    "masterclass", "detailed process", "process of making",
    "the steps", "exact steps", "exact amounts", "exact measurements", "ingredients for",
)  # fmt: skip

MAKE = (
    "make", "makes", "making", "build", "builds", "building", "assemble", "assembles",
    "assembling", "craft", "crafting", "manufactur*", "synthesiz*", "synthesis*", "cook",
    "cooks", "cooking", "brew", "brewing", "3d print", "3d printing", "3d printed", "produce",
    "producing", "mix", "mixing", "homemade", "home made", "diy", "convert", "converting",
    "construct", "constructing", "extract", "extracting", "grow", "growing", "refine", "refining",
)  # fmt: skip

# --- sexual (configurable) -------------------------------------------------------------------

SEXUAL_STRONG = (
    "porn*", "porno*", "nude", "nudes", "nudity", "naked", "nakedness", "sex", "sexual",
    "sexually", "sex scene", "erotic*", "nsfw", "xxx", "hentai", "topless", "bottomless",
    "genital*", "penis*", "vagina*", "vulva", "nipple*", "boobs", "tits", "titties",
    "intercourse", "orgasm*", "masturbat*", "striptease", "strip tease", "stripper*",
    "stripping naked", "fetish*", "bdsm", "onlyfans", "making love", "having sex", "blowjob*",
    "handjob*", "horny", "aroused", "arousal", "unclothed", "undressed", "undressing",
    "without clothes", "without any clothes", "no clothes", "no clothing", "wearing nothing",
    "in the nude", "skinny dipping", "lap dance", "lapdance", "camgirl", "sexting", "x rated",
    "xrated", "adult film", "adult video", "smut", "lewd", "raunchy", "pussy", "dick pic",
    "cumshot", "threesome", "gangbang", "orgy", "orgies", "sensual massage", "explicit",
    "rule34", "rule 34", "breasts", "bare breasts", "bare chested woman",
    "butt naked", "buttnaked", "sexy",
    "lingerie", "underwear model", "wet t shirt", "wettshirt",
    "strip club", "stripclub", "escort service", "prostitut*", "brothel", "camsite",
)  # fmt: skip

SEXUAL_SAFE = (
    "nude lipstick", "nude colour", "nude color", "nude coloured", "nude colored", "nude tone",
    "nude tones", "nude palette", "nude heels", "nude shoes", "nude makeup", "nude beige",
    "nude nail polish", "nude nails", "naked eye", "naked flame", "naked mole rat",
    "naked mole rats", "naked branches", "naked trees", "naked tree", "naked wire",
    "naked light bulb", "naked bulb", "naked truth", "naked brick", "naked walls",
    "sex of the", "sex of a", "sex of each", "chicken breast", "chicken breasts",
    "turkey breast", "duck breast", "breast stroke", "breaststroke", "breast cancer awareness",
    "explicit instructions", "explicit content warning", "explicitly", "topless convertible",
    "topless bus", "topless car", "sexy sports car", "sexy car", "sexton", "explicit lyrics",
    "stripping paint", "stripping wallpaper", "stripping the bed", "stripper tool",
    "wire stripper", "paint stripper", "sex ed", "sex education", "pussy willow", "blue tit",
    "blue tits", "great tit", "great tits", "coal tit", "coal tits",
)  # fmt: skip

# --- sexual content involving minors (always on) ---------------------------------------------

MINOR = (
    "child", "children", "childs", "kid", "kids", "kiddie", "kiddy", "minor", "minors",
    "underage", "under age", "under 18", "under eighteen", "teen", "teens", "teenage",
    "teenager", "teenagers", "preteen", "preteens", "tween", "tweens", "toddler", "toddlers",
    "baby", "babies", "infant", "infants", "schoolgirl", "schoolgirls", "schoolboy",
    "schoolboys", "school girl", "school boy", "little girl", "little girls", "little boy",
    "little boys", "young girl", "young girls", "young boy", "young boys", "juvenile",
    "prepubescent", "pubescent", "middle schooler", "middle school", "elementary school",
    "grade schooler", "fifth grader", "sixth grader", "seventh grader", "eighth grader",
    "high schooler", "daughter", "son", "niece", "nephew", "loli", "shota", "barely legal",
    "young looking", "childlike", "child like", "petite teen", "girl scout", "boy scout",
    "cheerleader teen", "ten year old", "eleven year old", "twelve year old",
    "thirteen year old", "fourteen year old", "fifteen year old", "sixteen year old",
    "seventeen year old", "nine year old", "eight year old", "seven year old",
)  # fmt: skip

SEXUALISING = (
    "seductive*", "sexy", "sexualiz*", "sexualis*", "provocative*", "lingerie", "lewd",
    "suggestive*", "sensual*", "bikini pinup",
    "pinup", "stripping", "strips naked", "bedroom eyes", "spread legs", "touching herself", "touching himself",
    "fondl*", "molest*", "grope*", "groping", "kissing an adult", "with an adult man",
    "in a sexual way", "erotic*", "romantic with an adult", "posing in underwear",
    "underwear photoshoot", "boudoir", "making out", "french kissing",
    "thong", "g string", "hot body", "body exposed",
)  # fmt: skip

SEXUAL_MINORS_STRONG = (
    "lolicon", "shotacon", "jailbait", "pedo", "pedophil*", "paedophil*", "pedophile",
    "child porn*", "childporn*", "kiddie porn*", "kiddieporn*", "cp video", "csam", "child sex",
    "child sexual", "underage sex", "underage porn", "preteen model*", "pthc",
)  # fmt: skip

# --- graphic violence and gore (configurable) ------------------------------------------------

VIOLENCE_STRONG = (
    "gore", "gory", "gruesome", "disembowel*", "decapitat*", "behead*", "dismember*",
    "mutilat*", "eviscerat*", "entrails", "intestines spilling", "guts spilling",
    "guts spill*", "spilled guts", "severed head", "severed heads", "severed limb*",
    "severed arm", "severed leg", "severed hand", "blood spurting", "blood spurts",
    "spurting blood", "blood splatter*", "splattered blood", "blood gushing", "gushing blood",
    "pool of blood", "pools of blood", "covered in blood", "soaked in blood", "blood soaked",
    "bloodsoaked", "bloodbath", "blood bath", "torture*", "tortured", "massacr*",
    "slaughtering people", "public execution", "execution video", "executed by firing squad",
    "brains splatter*", "brain matter", "skull crushed", "crushed skull", "skull cracked open",
    "flesh torn", "torn flesh", "flayed", "flaying",
    "skinned alive", "skinning alive", "skinning a man alive", "skinning a woman alive", "burned alive", "burnt alive", "burning alive",
    "cannibal*", "snuff film", "snuff video", "mass shooting", "school shooting",
    "shooting spree", "stabbing spree", "lynching", "lynched", "hanged man dangling",
    "exit wound", "gunshot wound", "bullet wound", "gaping wound", "open wound close up",
    "corpse", "corpses", "dead bodies", "mangled bod*", "mutilated bod*", "bleeding out",
    "throat slit", "slit throat", "slitting throat", "slits his throat", "slits her throat",
    "slitting his throat", "slitting her throat", "gouged out", "eye gouging", "impaled",
    "impaling", "graphic violence", "ultraviolent", "ultra violent", "killing spree",
    "murder scene", "murdered", "murdering", "car crash victims", "blown to pieces",
    "blown apart", "bloody corpse", "headshot kill", "splatter film",
)  # fmt: skip

VIOLENCE_ACTIVE = (
    "stab", "stabs", "stabbing", "kill", "kills", "killing", "murder", "murders", "murdering",
    "strangle", "strangles", "strangling", "bludgeon", "bludgeons", "bludgeoning", "execute",
    "executes", "executing", "behead", "beheads", "beheading", "decapitate", "decapitates",
    "slaughter", "slaughters", "slaughtering", "torture", "tortures", "torturing", "rape",
    "rapes", "raping", "maim", "maims", "maiming", "set fire to", "sets fire to",
    "setting fire to", "beat to death", "beats to death", "beating to death", "run over",
    "runs over", "running over", "slit the throat of", "gun down", "guns down", "gunning down",
    "shoot dead", "shoots dead", "shooting dead",
)  # fmt: skip

VIOLENCE_PASSIVE = (
    "stabbed", "killed", "murdered", "strangled", "bludgeoned", "executed", "beheaded",
    "decapitated", "slaughtered", "tortured", "raped", "maimed", "beaten to death",
    "hacked to death", "shot dead", "shot in the head", "shot to death", "gunned down",
    "being shot", "getting shot", "gets shot", "set on fire", "burned to death",
    "burnt to death", "run over by", "lynched",
)  # fmt: skip

SHOOT = ("shoot", "shoots", "shooting", "shooting at", "shoots at", "fires at", "firing at",
         "opens fire on", "opening fire on", "open fire on", "sprays bullets at",
         "spraying bullets at", "mowing down", "mows down")  # fmt: skip

VULNERABLE = (
    "civilians", "children", "kids", "students", "people", "a crowd", "the crowd",
    "worshippers", "shoppers", "pedestrians", "a baby", "hostages", "prisoners", "passersby",
    "classmates", "teachers", "protesters", "refugees", "schoolchildren", "a child", "a kid",
    "villagers", "unarmed", "innocent",
)  # fmt: skip

VIOLENCE_SAFE = (
    "murder of crows", "shot of espresso", "espresso shot", "shot glass", "shot glasses",
    "a shot of", "camera shot", "wide shot", "close shot", "tracking shot", "long shot",
    "establishing shot", "shot on film", "shot on 35mm", "shot in slow motion", "shot from above",
    "shot from below", "shot with", "photo shoot", "photoshoot", "shooting star",
    "shooting stars", "shooting a basketball", "shooting hoops", "shoots a basketball",
    "shoots hoops", "shoots the ball", "shooting the ball", "shoots a free throw", "shoot a film",
    "shooting a film", "shooting a movie", "shooting a video", "shooting the scene", "kill time",
    "killing time", "killer whale", "killer whales", "kill the lights", "kill switch",
    "blood orange", "blood oranges", "blood moon", "blood red sky", "blood red sunset",
    "blood drive", "blood donation", "donating blood", "blood pressure", "blood test",
    "blood sample", "al gore", "corpse flower", "photographer shooting", "photographer shoots", "hanging laundry", "hanging clothes", "hanging lanterns", "hanging plants",
    "hanging out", "hang out", "hangs out", "hang glider", "hang gliding", "hanging a picture",
    "hanging a painting", "hanging lights", "burning candle", "burning candles", "burns calories",
    "burning calories", "burning logs", "burning wood", "candle burning", "heart attack",
    "panic attack", "attack on the goal", "attacking midfielder", "attacks the net",
    "drowning in paperwork", "kicking a ball", "kicks a ball", "kicks the ball",
    "kicking the ball", "kicking a football", "kicking leaves", "punching bag",
    "punching a bag", "punching dough", "boxing", "abuse awareness", "kill screen",
)  # fmt: skip

# --- self-harm (configurable) ---------------------------------------------------------------

SELF_HARM_STRONG = (
    "suicid*", "kill myself", "kill himself", "kill herself", "kill themselves",
    "kills himself", "kills herself", "kills themselves", "killing himself", "killing herself",
    "killing themselves", "killing myself", "end my life", "end his life", "end her life",
    "end their life", "ends his life", "ends her life", "ending her life", "ending his life",
    "take my own life", "takes his own life", "takes her own life", "taking her own life",
    "taking his own life", "self harm", "selfharm", "self harming", "selfharming",
    "self injury", "selfinjury", "self mutilation", "cutting herself", "cutting himself",
    "cutting myself", "cutting themselves", "cuts herself", "cuts himself", "cut myself",
    "slit wrists", "slits her wrists", "slits his wrists", "slitting her wrists",
    "slitting his wrists", "slit her wrists", "slit his wrists", "slit my wrists",
    "razor to her wrist", "razor to his wrist", "hang himself", "hang herself", "hang myself",
    "hangs himself", "hangs herself", "hanging himself", "hanging herself", "hanged himself",
    "hanged herself", "noose around", "tying a noose", "ties a noose", "overdos*",
    "pro ana", "proana", "thinspiration", "thinspo", "starving herself", "starving himself",
    "starve myself", "purging after", "burning herself", "burning himself", "wants to die",
    "want to die", "wanting to die", "deadly dose", "lethal dose", "lethal amount of pills",
    "swallowing a handful of pills", "swallows a handful of pills", "bottle of pills to die",
)  # fmt: skip

SELF_HARM_JUMP = (
    "jump off", "jumps off", "jumping off", "jumped off", "leap off", "leaps off", "leaping off",
    "jump from", "jumps from", "jumping from", "leaps from", "leaping from", "step off",
    "steps off", "stepping off", "throws himself off", "throws herself off",
    "throwing himself off", "throwing herself off", "throws himself in front of",
    "throws herself in front of",
)  # fmt: skip

SELF_HARM_PLACE = (
    "bridge", "building", "roof", "rooftop", "skyscraper", "ledge", "balcony", "tower",
    "train", "subway", "overpass", "parking garage", "cliff to die", "to their death",
    "to his death", "to her death", "to end it", "to die",
)  # fmt: skip

SELF_HARM_SAFE = (
    "bungee", "parachute", "paraglid*", "skydiv*", "base jump*", "into the water",
    "into the pool", "into the lake", "into the river", "into the sea", "into the ocean",
    "diving board", "cliff diver", "cliff diving", "high dive", "onto the couch",
    "off the couch", "off the sofa", "off the bed", "off a diving", "safety harness",
    "stunt double", "parkour", "trampoline", "suicide squeeze", "suicide doors",
    "suicide prevention", "prevention hotline", "crisis hotline",
)  # fmt: skip

# --- hate and extremism (configurable) -------------------------------------------------------

HATE_STRONG = (
    "heil hitler", "sieg heil", "white power", "white supremac*", "white pride rally",
    "kkk", "ku klux klan", "klansmen", "klansman", "ethnic cleansing", "race war",
    "gas the jews", "final solution", "14 words", "fourteen words", "jihadi recruitment",
    "isis recruitment", "isis propaganda", "isis flag", "al qaeda propaganda",
    "alqaeda propaganda", "terrorist propaganda", "extremist propaganda",
    "recruitment video for", "nazi propaganda", "neo nazi", "neonazi", "nazi salute",
    "swastika flag", "burning cross", "cross burning", "burning a cross", "racial slur*",
    "slurs", "subhuman", "untermensch", "master race", "aryan race", "racially inferior",
    "inferior race", "genocide is good", "glorifying hitler", "glorify hitler",
    "glorifying terror*", "glorifies terror*", "celebrating the holocaust", "holocaust denial",
    "holocaust never happened", "great replacement", "blood and soil", "lynch mob",
    "death to all",
)  # fmt: skip

HATE_TARGET = (
    "jews", "jewish people", "muslims", "muslim people", "christians", "black people", "blacks",
    "africans", "asians", "asian people", "chinese people", "mexicans", "latinos", "hispanics",
    "arabs", "immigrants", "migrants", "refugees", "gay people", "gays", "lesbians",
    "trans people", "transgender people", "women", "hindus", "sikhs", "roma", "gypsies",
    "indians", "native americans", "disabled people", "catholics", "white people", "whites",
)  # fmt: skip

HATE_ATTRIBUTE = (
    "are vermin", "are rats", "are parasites", "are animals", "are subhuman", "are inferior",
    "are a disease", "are a plague", "are cockroaches", "are criminals", "are evil",
    "are dirty", "are filth", "should die", "should be killed", "should be exterminated",
    "should be deported", "must be destroyed", "deserve to die", "deserve death",
    "exterminat*", "wipe out", "wiping out", "get rid of all", "gassing", "being gassed",
    "mocking", "mocked", "ridicul*", "dehumaniz*", "as monkeys", "as apes", "as pigs",
    "as rats", "as cockroaches", "as vermin", "hate speech", "hateful", "hating",
    "degrading", "rounded up", "being rounded up", "burning down a mosque",
    "burning down a synagogue", "vandaliz*", "attacking",
)  # fmt: skip

HATE_SAFE = (
    "documentary about", "history of", "history lesson", "museum", "memorial",
    "remembrance", "never again", "anti racism", "antiracism", "against racism",
    "against hate", "stop hate", "fighting racism", "civil rights", "educational",
    "hating mondays", "hating broccoli", "kill all the weeds", "kill all weeds",
    "kill all bacteria", "kills all germs", "kill all germs", "kills all bacteria",
)  # fmt: skip

# --- instructions for serious crime or weapons (configurable) --------------------------------

CRIME_STRONG = (
    "pipe bomb", "pipebomb", "nail bomb", "pressure cooker bomb", "car bomb", "suicide vest",
    "suicide bomb*", "ied", "improvised explosive", "nerve agent", "sarin", "vx gas",
    "ricin", "anthrax spores", "weaponized anthrax", "bioweapon*", "biological weapon*",
    "chemical weapon*", "dirty bomb", "ghost gun", "ghost guns", "untraceable gun",
    "untraceable firearm", "3d printed gun", "3d printing a gun", "3d print a gun",
    "full auto conversion", "auto sear", "bump stock conversion", "cooking meth",
    "cook meth", "cooks meth", "meth lab", "making meth", "make meth", "synthesizing meth",
    "synthesize meth", "synthesizing fentanyl", "synthesize fentanyl", "making fentanyl",
    "make fentanyl", "making crack", "cooking crack", "making heroin", "molotov cocktail",
    "molotov cocktails", "making napalm", "make napalm", "homemade napalm", "making thermite",
    "homemade explosive*", "making explosives", "make explosives", "build a bomb",
    "building a bomb", "make a bomb", "making a bomb", "assemble a bomb", "assembling a bomb",
    "bomb making", "bombmaking", "detonator wiring", "silencer from a solvent trap",
    "printing counterfeit", "fake banknotes",



    "skim credit cards", "card skimmer", "credit card skimming", "phishing kit",
    "make ransomware", "ddos attack", "swatting",
    "poison someone", "poisoning someone", "poison her", "poison him", "poisoning her",
    "poisoning his", "undetectable poison", "untraceable poison",
    "smuggle drugs", "smuggling drugs", "drug smuggling", "smuggle weapons",
    "date rape drug", "spike a drink", "spiking a drink", "spiking drinks",
    "acid attack", "mail bomb", "letter bomb", "sabotage a plane", "derail a train",
)  # fmt: skip

CRIME_OBJECT = (
    "bomb", "bombs", "explosive", "explosives", "grenade", "grenades", "gun", "guns",
    "firearm", "firearms", "rifle", "pistol", "silencer", "suppressor", "ammunition",
    "meth", "methamphetamine", "fentanyl", "heroin", "cocaine", "crack cocaine", "lsd",
    "mdma", "poison", "poisons", "toxin", "napalm", "thermite", "detonator", "pick a lock", "picking a lock", "steal", "stealing", "rob", "robbing",
    "robbery", "burglary", "burglar", "forged passport", "fake passport",
    "fake id", "fake ids", "counterfeit", "launder", "laundering", "malware",
    "weapon", "weapons", "knife attack", "zip gun", "flamethrower", "nitroglycerin",
    "tatp", "gunpowder", "black powder", "kidnap*", "hijack*", "arson",
    "extortion", "blackmail", "untraceable",
)  # fmt: skip

CRIME_SAFE = (
    "bath bomb", "bath bombs", "photo bomb", "photobomb", "bomb pop", "bomb diggity",
    "bombe", "da bomb", "water gun", "water guns", "squirt gun", "glue gun", "hot glue gun",
    "nail gun", "staple gun", "heat gun", "paint gun", "spray gun", "nerf gun", "nerf guns",
    "toy gun", "bubble gun", "gun metal", "gunmetal", "confetti cannon", "lsd style",
    "computer virus screen", "gun safety", "firearm safety", "hunter safety", "poison ivy", "poison oak", "poison dart frog",
    "poison dart frogs", "steal the show", "steals the show", "steal base", "steals second",
    "steals a base", "stealing second", "stealing a base", "life hack", "life hacks",
    "hackathon", "hack day", "robin", "rob the", "seed bomb", "seed bombs", "flavor bomb",
    "flavour bomb", "calorie bomb", "cinnamon", "glitter bomb", "fire drill", "fireworks",
    "firework", "gunpowder tea", "chicken", "lock picking lawfully", "locksmith",
)  # fmt: skip

# --- deceptive content about real events and elections (configurable) ------------------------

DECEPTION_STRONG = (
    "deepfake*", "deep fake", "fake news report", "fake news footage", "fake news broadcast",
    "fake breaking news", "fabricated news", "fabricated footage", "fabricated evidence",
    "fake footage", "fake video of", "fake evidence", "fake campaign ad", "fake announcement",
    "ballot stuffing", "stuffing ballots", "stuffing ballot boxes", "stuffing the ballot",
    "stuffs ballots", "election fraud", "electoral fraud", "voter fraud", "rigged election",
    "election was rigged", "election is rigged", "rigging the election", "stolen election",
    "election was stolen", "stealing the election", "steal the election", "rigged voting",
    "voting machines hacked", "hacked voting machine*", "rigged voting machine*",
    "ballots being burned", "burning ballots", "ballots burned", "shredding ballots",
    "ballots being shredded", "ballots dumped", "dumping ballots", "ballots thrown away",
    "throwing away ballots", "ballots in a dumpster", "ballots found in a river",
    "destroying ballots", "election cancelled", "election canceled", "election postponed",
    "vote by text", "vote by phone", "polls closed early", "polling stations closed",
    "polling places closed", "voters turned away", "turning away voters",
    "voter intimidation", "intimidating voters",


    "hoax footage", "false flag",
    "fake confession",
    "fake arrest", "fake assassination",
)  # fmt: skip

DECEPTION_EVENT = (
    "news footage", "news report", "news broadcast", "breaking news", "news clip",
    "cnn", "bbc", "fox news", "reuters", "associated press", "al jazeera", "nbc news",
    "abc news", "cbs news", "msnbc", "sky news", "security camera footage of", "leaked footage",
    "leaked video", "bodycam footage", "cctv footage of", "realistic footage",
    "authentic footage", "real footage", "documentary footage",
)  # fmt: skip

DECEPTION_CLAIM = (

    "terrorist attack",
    "bombing at", "explosion at the", "attack on the white house", "white house",
    "pentagon", "capitol", "parliament", "shooting at", "arrested", "assassinat*",
    "nuclear strike", "missile strike", "invasion of", "collapse of the", "earthquake hits",
    "tsunami hits", "plane crash at", "riot at", "confess*", "resign*", "dies", "died",
    "dead at", "endorses", "endorsing", "conceding", "concedes",
)  # fmt: skip

FAKE_CUE = (
    "make it look real", "make it look authentic", "make it look like real",
    "looks like real news", "look like real news", "pass as real", "passes as real",
    "that people will believe", "so people believe", "so viewers believe",
    "convince people", "convince voters", "as if it really happened", "pretend it is real",
    "staged to look real", "to fool people", "to trick voters", "to mislead", "misleading",
    "fake", "faked", "fabricated", "doctored", "hoax", "false", "made up",
)  # fmt: skip

ELECTION = (
    "election", "elections", "ballot", "ballots", "ballot box", "voting", "voters", "vote",
    "votes", "polling station", "polling place", "polls", "candidate", "president",
    "prime minister", "senator", "governor", "mayor", "campaign",
)  # fmt: skip

DECEPTION_SAFE = (
    "mock election", "school election", "class president", "student council",
    "board game", "fictional", "clearly labeled", "clearly labelled", "parody label",
    "weather report", "weather forecast", "sports news", "news anchor reading the weather",
)  # fmt: skip

# --- real, identifiable people (configurable) ------------------------------------------------

# Living (or recently living) public figures: full names, plus the surnames that are not
# ordinary words. Historical figures who died long ago (Napoleon, Lincoln, Cleopatra) are not
# listed: depicting them is history, not impersonation of someone who can be harmed.
PUBLIC_FIGURES = (
    "joe biden", "biden", "donald trump", "barack obama", "obama", "michelle obama",
    "kamala harris", "hillary clinton", "bill clinton", "george w bush", "george bush",
    "vladimir putin", "putin", "xi jinping", "jinping", "kim jong un", "kim jongun",
    "volodymyr zelensky", "zelensky", "zelenskyy", "emmanuel macron", "macron",
    "angela merkel", "merkel", "olaf scholz", "justin trudeau", "trudeau", "narendra modi",
    "modi", "rishi sunak", "sunak", "keir starmer", "starmer", "boris johnson",
    "theresa may", "giorgia meloni", "meloni", "recep erdogan", "erdogan",
    "benjamin netanyahu", "netanyahu", "jair bolsonaro", "bolsonaro", "lula da silva",
    "javier milei", "ron desantis", "desantis", "nancy pelosi", "pelosi", "mitch mcconnell",
    "bernie sanders", "alexandria ocasio cortez", "ocasio cortez", "mike pence", "jd vance",
    "pope francis", "pope leo", "king charles", "prince william", "prince harry",
    "meghan markle", "kate middleton", "queen camilla", "dalai lama", "elon musk",
    "mark zuckerberg", "zuckerberg", "jeff bezos", "bezos", "bill gates", "tim cook",
    "sundar pichai", "sam altman", "warren buffett", "jensen huang", "taylor swift",
    "beyonce", "rihanna", "kanye west", "kim kardashian", "kardashian", "kylie jenner",
    "lady gaga", "ariana grande", "justin bieber", "selena gomez", "billie eilish",
    "ed sheeran", "snoop dogg", "eminem", "jay z", "dua lipa", "harry styles",
    "tom cruise", "tom hanks", "brad pitt", "angelina jolie", "leonardo dicaprio",
    "dicaprio", "scarlett johansson", "jennifer lawrence", "jennifer aniston", "emma watson",
    "margot robbie", "zendaya", "keanu reeves", "will smith", "dwayne johnson",
    "morgan freeman", "denzel washington", "robert downey jr", "johnny depp", "amber heard",
    "oprah winfrey", "oprah", "ellen degeneres", "jimmy fallon", "joe rogan",
    "cristiano ronaldo", "lionel messi", "neymar", "kylian mbappe", "mbappe",
    "lebron james", "stephen curry", "michael jordan", "serena williams", "roger federer",
    "rafael nadal", "novak djokovic", "tiger woods", "usain bolt", "simone biles",
    "greta thunberg", "malala yousafzai", "mrbeast", "mr beast", "pewdiepie",
    "jeffrey epstein", "harvey weinstein", "andrew tate", "al gore",
)  # fmt: skip

# A possessive relation to a named person makes a private, identifiable individual:
# "my neighbour John", "my boss Sarah Lee", "my ex Tom".
RELATION = (
    "my neighbour", "my neighbor", "my boss", "my coworker", "my co worker", "my colleague",
    "my ex", "my ex girlfriend", "my ex boyfriend", "my ex wife", "my ex husband", "my wife",
    "my husband", "my girlfriend", "my boyfriend", "my teacher", "my classmate",
    "my landlord", "my roommate", "my friend", "my best friend", "my sister", "my brother",
    "my mom", "my mother", "my dad", "my father", "my cousin", "my aunt", "my uncle",
    "my daughter", "my son", "my manager", "my crush", "my professor", "my coach",
    "my doctor", "my therapist", "my tenant", "my stepmom", "my stepdad", "our neighbour",
    "our neighbor", "our teacher", "our boss", "the girl next door named", "a coworker named",
    "a coworker called", "a classmate named", "a classmate called", "a neighbour named",
    "a neighbor named", "a neighbour called", "a neighbor called", "an ex named",
)  # fmt: skip

# Long-dead historical figures: never refused by the full-name rule.
HISTORICAL_FIGURES = (
    "albert einstein", "isaac newton", "charles darwin", "george washington", "abraham lincoln",
    "william shakespeare", "leonardo da vinci", "thomas edison", "benjamin franklin",
    "marie curie", "charles dickens", "jane austen", "joan of arc", "julius caesar",
    "alexander the great", "mark twain", "thomas jefferson", "john adams", "henry ford",
)  # fmt: skip

# Common given names used to spot "Firstname Lastname" (a full name identifies a person;
# a first name alone, as in "a man named Bob", does not).
FIRST_NAMES = (
    "james", "john", "robert", "michael", "william", "david", "richard", "joseph", "thomas",
    "charles", "christopher", "daniel", "matthew", "anthony", "mark", "donald", "steven",
    "paul", "andrew", "joshua", "kenneth", "kevin", "brian", "george", "timothy", "ronald",
    "edward", "jason", "jeffrey", "ryan", "jacob", "gary", "nicholas", "eric", "jonathan",
    "stephen", "larry", "justin", "scott", "brandon", "benjamin", "samuel", "gregory",
    "alexander", "frank", "patrick", "raymond", "jack", "dennis", "jerry", "tyler", "aaron",
    "jose", "adam", "nathan", "henry", "douglas", "zachary", "peter", "kyle", "noah", "ethan",
    "jeremy", "walter", "christian", "keith", "roger", "terry", "austin", "sean", "gerald",
    "carl", "harold", "dylan", "arthur", "lawrence", "jordan", "jesse", "bryan", "billy",
    "bruce", "gabriel", "joe", "logan", "alan", "juan", "albert", "willie", "elijah",
    "wayne", "randy", "vincent", "mason", "roy", "ralph", "bobby", "russell", "bradley",
    "philip", "eugene", "mary", "patricia", "jennifer", "linda", "elizabeth", "barbara",
    "susan", "jessica", "sarah", "karen", "lisa", "nancy", "betty", "sandra", "margaret",
    "ashley", "kimberly", "emily", "donna", "michelle", "carol", "amanda", "melissa",
    "deborah", "stephanie", "dorothy", "rebecca", "sharon", "laura", "cynthia", "amy",
    "kathleen", "angela", "shirley", "brenda", "emma", "anna", "pamela", "nicole",
    "samantha", "katherine", "christine", "helen", "debra", "rachel", "carolyn", "janet",
    "maria", "catherine", "heather", "diane", "olivia", "julie", "joyce", "victoria", "ruth",
    "virginia", "lauren", "kelly", "christina", "joan", "evelyn", "judith", "andrea",
    "hannah", "megan", "cheryl", "jacqueline", "martha", "madison", "teresa", "gloria",
    "sara", "janice", "ann", "kathryn", "abigail", "sophia", "frances", "jean", "alice",
    "judy", "isabella", "julia", "grace", "amber", "denise", "danielle", "marilyn",
    "beverly", "charlotte", "natalie", "theresa", "diana", "brittany", "doris", "kayla",
    "alexis", "lori", "marie", "tom", "tim", "mike", "dave", "chris", "jim", "bob", "bill",
    "steve", "jen", "jenny", "kate", "katie", "liz", "sam", "alex", "max", "ben", "dan",
    "nick", "matt", "tony", "rob", "ahmed", "mohammed", "muhammad", "ali", "fatima", "wei",
    "li", "yuki", "hiroshi", "priya", "raj", "arjun", "carlos", "luis", "sofia", "lucas",
    "lukas", "hans", "pierre", "marco", "giulia", "olga", "ivan", "dmitri", "anastasia",
)  # fmt: skip

# Capitalised words after a first name that are not surnames ("Bob Walks", "Anna The", ...).
NOT_SURNAMES = (
    "the", "a", "an", "and", "or", "in", "on", "at", "with", "walks", "walking", "runs",
    "running", "is", "was", "sits", "sitting", "stands", "standing", "plays", "playing",
    "dances", "dancing", "smiles", "smiling", "looks", "looking", "eats", "eating", "from",
    "of", "to", "by", "under", "over", "near", "and", "who", "while", "style", "street",
    "avenue", "road", "river", "lake", "park", "bay", "island", "hall", "day", "school",
    "university", "college", "bridge", "mountain", "city", "county", "station", "airport",
)  # fmt: skip

PEOPLE_SAFE = (
    "trump card", "trumps", "a swift", "swift river", "swift current", "the swift",
    "drake duck", "a drake", "male duck", "the rock formation", "a rock", "rock climbing",
    "the rock face", "rock band", "the rock wall", "the rock pile", "desert rock",
)  # fmt: skip

# --- copyrighted characters and trademarks (configurable) ------------------------------------

CHARACTERS = (
    "mickey mouse", "minnie mouse", "donald duck", "goofy and mickey", "pikachu", "pokemon",
    "charizard", "super mario", "mario kart", "mario and luigi", "princess peach", "bowser",
    "sonic the hedgehog", "spiderman", "spider man", "batman", "superman", "wonder woman",
    "ironman suit", "iron man suit", "tony stark", "captain america", "the incredible hulk",
    "thor and loki", "wolverine", "deadpool", "black panther", "harry potter", "hogwarts",
    "hermione granger", "dumbledore", "voldemort", "darth vader", "luke skywalker", "yoda",
    "baby yoda", "grogu", "stormtrooper*", "star wars", "lightsaber", "chewbacca", "r2d2",
    "r2 d2", "c3po", "c 3po", "shrek", "elsa from frozen", "olaf from frozen",
    "anna and elsa", "simba", "lion king", "buzz lightyear", "woody from toy story",
    "toy story", "homer simpson", "bart simpson", "the simpsons", "spongebob", "sponge bob",
    "squarepants", "patrick star", "hello kitty", "snoopy", "charlie brown", "garfield",
    "scooby doo", "scoobydoo", "winnie the pooh", "bugs bunny", "daffy duck", "looney tunes",
    "tom and jerry", "kermit the frog", "miss piggy", "muppets", "optimus prime",
    "bumblebee transformer", "godzilla", "king kong", "james bond",
    "007 agent", "gandalf", "frodo", "lord of the rings", "hobbit",
    "peppa pig", "paw patrol", "bluey", "barbie", "ken doll", "dora the explorer",
    "the avengers", "avengers", "marvel", "dc comics", "x men", "xmen", "pac man", "pacman",
    "link from zelda", "legend of zelda", "master chief", "lara croft", "kratos",
    "despicable me", "minions from despicable me", "autobots", "decepticons",
    "transformers robot", "minecraft steve", "minecraft", "fortnite", "among us crewmate", "naruto", "goku",
    "dragon ball", "sailor moon", "totoro", "studio ghibli", "spirited away",
    "ninja turtles", "teenage mutant ninja turtles", "power rangers", "stitch from lilo",
    "lilo and stitch", "nemo", "finding nemo", "wall e", "walle", "ratatouille",
    "the grinch", "grinch", "ronald mcdonald", "cookie monster", "big bird", "elmo",
    "sesame street", "thomas the tank engine", "paddington bear", "shaun the sheep",
    "wallace and gromit", "tintin", "asterix", "smurf*", "strawberry shortcake",
    "my little pony", "care bears", "teletubbies",
    "jack sparrow", "indiana jones", "the terminator", "terminator", "rambo", "rocky balboa",
    "john wick", "joker from batman", "harley quinn", "wednesday addams",
    "jurassic park", "ghostbusters", "ghostbuster", "pennywise", "freddy krueger",
    "chucky doll", "hannibal lecter", "pixar", "dreamworks", "disney", "nintendo",
    "playstation", "xbox", "sanrio",
)  # fmt: skip

BRANDS = (
    "coca cola", "cocacola", "coke bottle", "coke can", "pepsi", "mcdonalds", "mc donalds",
    "big mac", "burger king", "kfc", "starbucks", "nike", "adidas", "puma logo", "reebok",
    "gucci", "louis vuitton", "chanel", "prada", "hermes bag", "rolex", "versace",
    "supreme logo", "apple logo", "iphone", "ipad", "macbook", "google logo", "microsoft logo",
    "windows logo", "amazon logo", "amazon box", "facebook logo", "instagram logo",
    "tiktok logo", "youtube logo", "twitter logo", "netflix", "spotify", "tesla logo",
    "tesla cybertruck", "cybertruck", "ferrari logo", "lamborghini", "porsche", "bmw",
    "mercedes benz", "mercedes logo", "audi logo", "toyota logo", "ford logo", "red bull",
    "redbull", "monster energy", "heineken", "budweiser", "doritos", "oreo", "lego",
    "legos", "hot wheels", "harley davidson", "jeep logo", "shell logo", "shell gas station",
    "exxon", "walmart", "target store", "target logo", "ikea", "costco", "fedex", "ups truck",
    "dhl", "visa card", "mastercard", "paypal", "samsung galaxy", "samsung logo", "sony logo",
    "playstation logo", "converse sneakers", "air jordan", "jordan sneakers", "vans sneakers",
    "north face jacket", "crocs shoes", "ray ban", "rayban", "levis", "levi s", "patagonia logo",
    "doc martens", "kitkat", "kit kat", "snickers",
    "skittles", "pringles", "nutella", "heinz", "kellogg", "cheerios", "subway sandwich",
    "taco bell", "dominos pizza", "pizza hut", "dunkin", "wendys", "chick fil a",
    "olympic rings", "fifa", "nba logo", "nfl logo", "premier league", "uefa",
    "champions league",
)  # fmt: skip

CHARACTER_SAFE = (
    "captain nemo", "generic", "original character", "nemophila", "nemo me impune", "domino", "dominoes",
    "corona of the sun", "solar corona", "sonic boom", "frozen lake", "frozen pond",
    "a mustang horse", "wild mustang", "wild mustangs", "jaguar in the", "a jaguar",
    "amazon rainforest", "amazon river", "the amazon jungle", "seashell", "sea shell",
    "a shell on", "windows of", "window", "target practice", "a target", "an apple",
    "apples", "apple tree", "apple pie", "a goofy", "big bird feeder", "a big bird",
    "iron man triathlon", "ironman triathlon", "ironman race", "a bat flying", "bats flying",
    "minion of", "marvel at", "marvels at", "marvelling", "marveling", "marvelous",
    "marvellous", "ken burns", "a beetle", "stitch in time", "cross stitch", "stitches",
)  # fmt: skip
