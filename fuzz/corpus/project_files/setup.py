from setuptools import setup
setup(name="demo", python_requires=">=3.9", install_requires=["tensorflow==2.15", 'pandas'])
